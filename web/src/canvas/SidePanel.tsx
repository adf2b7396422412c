// The side panel: two tabs (arrow keys switch them), the selected block's settings and the
// saving, running and versions panel.
import type { Dispatch, KeyboardEvent, ReactNode, SetStateAction } from "react";
import type { SideTab } from "./useBlockEditing";

interface Props {
  tab: SideTab;
  setTab: Dispatch<SetStateAction<SideTab>>;
  saveLabel: string;
  onBlockPanelKeyDown: (e: KeyboardEvent<HTMLDivElement>) => void;
  block: ReactNode;
  save: ReactNode;
}

export function SidePanel({ tab, setTab, saveLabel, onBlockPanelKeyDown, block, save }: Props) {
  return (
    <aside className="bb-side" aria-label="Side panel">
      <div role="tablist" aria-label="Side panel" className="bb-tabs">
        <button
          type="button"
          role="tab"
          id="bb-tab-block"
          aria-selected={tab === "block"}
          aria-controls="bb-panel-block"
          tabIndex={tab === "block" ? 0 : -1}
          onClick={() => setTab("block")}
          onKeyDown={(e) => {
            if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
              setTab("save");
              document.getElementById("bb-tab-save")?.focus();
            }
          }}
        >
          Block
        </button>
        <button
          type="button"
          role="tab"
          id="bb-tab-save"
          aria-selected={tab === "save"}
          aria-controls="bb-panel-save"
          tabIndex={tab === "save" ? 0 : -1}
          onClick={() => setTab("save")}
          onKeyDown={(e) => {
            if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
              setTab("block");
              document.getElementById("bb-tab-block")?.focus();
            }
          }}
        >
          {saveLabel}
        </button>
      </div>
      <div role="tabpanel" id="bb-panel-block" aria-labelledby="bb-tab-block" hidden={tab !== "block"} onKeyDown={onBlockPanelKeyDown}>
        {block}
      </div>
      <div role="tabpanel" id="bb-panel-save" aria-labelledby="bb-tab-save" hidden={tab !== "save"}>
        {save}
      </div>
    </aside>
  );
}
