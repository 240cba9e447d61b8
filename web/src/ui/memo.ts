// A shallow-props memo for function components, without preact/compat.
import { Component, createElement, type FunctionComponent } from "preact";

export function memo<P extends object>(fn: FunctionComponent<P>): FunctionComponent<P> {
  class Memo extends Component<P> {
    shouldComponentUpdate(next: P) {
      const a = this.props as Record<string, unknown>;
      const b = next as Record<string, unknown>;
      for (const k in a) if (k !== "children" && a[k] !== b[k]) return true;
      for (const k in b) if (!(k in a)) return true;
      return false;
    }
    render() {
      return createElement(fn, this.props);
    }
  }
  return Memo as unknown as FunctionComponent<P>;
}
