export default function CanvasPage() {
  return <h1>Strategy canvas</h1>;
}
