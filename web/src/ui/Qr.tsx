// The otpauth URI as a QR code, drawn as SVG elements (no innerHTML).
import { encode } from "uqr";

export function Qr(props: { text: string; label: string }) {
  const qr = encode(props.text, { ecc: "M", border: 4 });
  let d = "";
  qr.data.forEach((row, y) => {
    row.forEach((on, x) => {
      if (on) d += `M${x} ${y}h1v1h-1z`;
    });
  });
  return (
    <svg
      role="img"
      aria-label={props.label}
      class="qr"
      viewBox={`0 0 ${qr.size} ${qr.size}`}
      width="224"
      height="224"
      shape-rendering="crispEdges"
    >
      <rect width={qr.size} height={qr.size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
