// The run and paper dialogs' "Another market…" step: the market picker in place of the form,
// then back to the form with the fetched dataset chosen.
import { MarketPicker } from "./MarketPicker";

interface Props {
  /** What the candles are for, e.g. "this backtest". */
  usedBy: string;
  onReady(datasetId: string): void;
  onBack(): void;
}

export function AnotherMarket({ usedBy, onReady, onBack }: Props) {
  return (
    <div className="run-market">
      <p className="help">
        Pick a market and a period. Candles not stored yet are fetched from Binance once; then {usedBy} uses them.
      </p>
      <MarketPicker
        compact
        onReady={onReady}
        actions={
          <button type="button" className="button" onClick={onBack}>
            Back to the settings
          </button>
        }
      />
    </div>
  );
}
