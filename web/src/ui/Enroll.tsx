// MFA enrolment (the session can reach only this) and the required
// password change after an administrator's reset.
import { useEffect, useState } from "preact/hooks";
import * as api from "../api.ts";
import { finishLimitedSession, session, signOut } from "../state/session.ts";
import { errorText } from "./format.ts";
import { Qr } from "./Qr.tsx";

function SignOutButton() {
  return (
    <button type="button" class="secondary" onClick={() => void signOut("user")}>
      Sign out
    </button>
  );
}

export function Enroll() {
  const [secret, setSecret] = useState<{ secret: string; otpauth_uri: string } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [confirmedWithoutCodes, setConfirmedWithoutCodes] = useState(false);

  useEffect(() => {
    let live = true;
    api
      .beginTotp()
      .then((s) => live && setSecret(s))
      .catch((e) => live && setLoadError(errorText(e)));
    return () => {
      live = false;
    };
  }, []);

  const confirm = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const c = code.replace(/\s+/g, "");
    if (!/^\d{6}$/.test(c)) {
      setError("Enter the 6-digit code your authenticator app shows.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await api.confirmTotp(c);
      if (r && Array.isArray(r.recovery_codes) && r.recovery_codes.length) setCodes(r.recovery_codes);
      else setConfirmedWithoutCodes(true);
    } catch (err) {
      setError(errorText(err));
      setCode("");
    } finally {
      setBusy(false);
    }
  };

  if (codes || confirmedWithoutCodes) {
    return (
      <main class="signin" aria-labelledby="codes-title">
        <div class="card wide">
          <h1 id="codes-title">Recovery codes</h1>
          {codes ? (
            <>
              <p>
                Each code signs you in once if you lose your authenticator. Keep them somewhere safe and private:
                they are shown only now.
              </p>
              <ol class="recovery" aria-label="Recovery codes">
                {codes.map((c) => (
                  <li key={c}>
                    <code>{c}</code>
                  </li>
                ))}
              </ol>
            </>
          ) : (
            <p>Two-step sign-in is set up. The server returned no recovery codes.</p>
          )}
          <div class="actions">
            <button type="button" class="primary" onClick={() => finishLimitedSession("enrolled")}>
              I have saved these
            </button>
          </div>
        </div>
      </main>
    );
  }

  return (
    <main class="signin" aria-labelledby="enroll-title">
      <form class="card wide" onSubmit={confirm} noValidate>
        <h1 id="enroll-title">Set up two-step sign-in</h1>
        <p>
          {session.value?.user.display_name ? `${session.value.user.display_name}, your` : "Your"} account needs an
          authenticator app. Scan the code with it (or type the key), then enter the 6-digit code it shows.
        </p>
        {loadError && (
          <p class="error" role="alert">
            {loadError}
          </p>
        )}
        {secret && (
          <div class="enroll">
            <Qr text={secret.otpauth_uri} label="Authenticator QR code" />
            <p>
              Key: <code class="secret">{secret.secret}</code>
            </p>
          </div>
        )}
        <label class="field">
          <span>Authentication code</span>
          <input
            inputMode="numeric"
            autoComplete="one-time-code"
            value={code}
            onInput={(e) => setCode(e.currentTarget.value)}
          />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <SignOutButton />
          <button type="submit" class="primary" disabled={busy || !secret}>
            Confirm
          </button>
        </div>
      </form>
    </main>
  );
}

export function PasswordChange() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    if (!current || !next) {
      setError("Enter your current password and a new one.");
      return;
    }
    if (next !== again) {
      setError("The new passwords do not match.");
      return;
    }
    setBusy(true);
    try {
      await api.changePassword(current, next);
      finishLimitedSession("password");
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin" aria-labelledby="pw-title">
      <form class="card" onSubmit={submit} noValidate>
        <h1 id="pw-title">Choose a new password</h1>
        <p>Your password was reset. Choose a new one to continue; a long passphrase is best.</p>
        <label class="field">
          <span>Current password</span>
          <input type="password" autoComplete="current-password" value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>New password</span>
          <input type="password" autoComplete="new-password" value={next} onInput={(e) => setNext(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>Repeat new password</span>
          <input type="password" autoComplete="new-password" value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <SignOutButton />
          <button type="submit" class="primary" disabled={busy}>
            Change password
          </button>
        </div>
      </form>
    </main>
  );
}
