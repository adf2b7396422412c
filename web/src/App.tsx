import { lazy, Suspense } from "react";
import { Route, Routes } from "react-router-dom";

// The canvas (React Flow) loads on demand so the logged-in shell stays small.
const CanvasPage = lazy(() => import("./canvas/CanvasPage"));

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <a href="/" className="brand">Blockbuilders</a>
      </header>
      <main id="main">
        <Suspense fallback={<p role="status">Loading…</p>}>
          <Routes>
            <Route path="/strategies/:id/edit" element={<CanvasPage />} />
            <Route path="*" element={<h1>Blockbuilders</h1>} />
          </Routes>
        </Suspense>
      </main>
    </div>
  );
}
