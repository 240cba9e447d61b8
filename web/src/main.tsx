import { render } from "preact";
import { App } from "./App.tsx";
import { boot } from "./state/session.ts";
import "./styles.css";

render(<App />, document.getElementById("app")!);
void boot();
