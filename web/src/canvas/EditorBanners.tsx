// The banners under the toolbar: why the strategy is read-only, the phone's read-only view,
// the draft that came back, and the older version being looked at.
import { localTime } from "../lib/format";
import type { Strategy } from "../api/types";
import type { Draft } from "./draft";
import type { Viewing } from "./useVersionView";

const when = (ms: number): string => localTime(ms);

interface Props {
  strategy: Strategy;
  editable: boolean;
  phone: boolean;
  lockedReason: string | null;
  onClone: (() => void) | null;
  draftBanner: Draft | null;
  dirty: boolean;
  onDiscardDraft: () => void;
  onKeepDraft: () => void;
  viewing: Viewing | null;
  onRestore: (version: number) => void;
  onCloseView: () => void;
}

export function EditorBanners(p: Props) {
  const { strategy, editable, draftBanner, viewing } = p;
  return (
    <>
      {p.lockedReason && (
        <div className="bb-banner">
          <p>{p.lockedReason}</p>
          {p.onClone && (
            <button type="button" className="bb-primary" onClick={p.onClone}>
              Make my own copy to edit
            </button>
          )}
        </div>
      )}
      {p.phone && editable && (
        <div className="bb-banner">
          <p>This is a read-only view. Open the strategy on a tablet or a computer to edit it.</p>
        </div>
      )}
      {draftBanner && !viewing && p.dirty && (
        <div className="bb-banner" data-testid="draft-banner">
          <p>
            Your unsaved draft from {when(draftBanner.savedAt)} is back
            {draftBanner.baseVersion ? ` (started from version ${draftBanner.baseVersion})` : ""}.
            {strategy.latest_version > draftBanner.baseVersion ? ` Version ${strategy.latest_version} was saved since; saving the draft makes a newer one.` : ""}
          </p>
          <button type="button" onClick={p.onDiscardDraft}>
            Discard draft
          </button>
          <button type="button" onClick={p.onKeepDraft}>
            Keep it
          </button>
        </div>
      )}
      {viewing && (
        <div className="bb-banner viewing" data-testid="viewing-banner">
          <p>
            You are looking at version {viewing.version}, read-only{viewing.diagnostics.length ? "; its problems are listed below" : ""}.
          </p>
          {editable && (
            <button type="button" className="bb-primary" onClick={() => p.onRestore(viewing.version)}>
              Restore it as the draft
            </button>
          )}
          <button type="button" onClick={p.onCloseView}>
            Back to {editable ? "my draft" : "the latest version"}
          </button>
        </div>
      )}
    </>
  );
}
