import { idleSecondsLeft, idleWarning, stayActive } from "../state/idle.ts";
import { Modal } from "./Modal.tsx";

export function IdleDialog() {
  if (!idleWarning.value) return null;
  return (
    <Modal labelledBy="idle-title" describedBy="idle-desc" alert onClose={stayActive}>
      <h2 id="idle-title">Still there?</h2>
      <p id="idle-desc">
        For privacy you will be signed out in {idleSecondsLeft.value} seconds unless you continue.
      </p>
      <div class="actions">
        <button type="button" class="primary" onClick={stayActive} autoFocus>
          Stay signed in
        </button>
      </div>
    </Modal>
  );
}
