// While a connection is being dragged over a port it may not join, says why.
import { useConnection, type FinalConnectionState } from "@xyflow/react";

export type ConnectionEnds = { fromHandle: FinalConnectionState["fromHandle"]; toHandle: FinalConnectionState["toHandle"] };

export function ConnectionHint({ reason }: { reason: (c: ConnectionEnds) => string | null }) {
  const connection = useConnection();
  if (!connection.inProgress || !connection.toHandle || connection.isValid) return null;
  const text = reason(connection);
  if (!text) return null;
  return (
    <div className="bb-connect-hint" aria-hidden="true">
      {text}
    </div>
  );
}
