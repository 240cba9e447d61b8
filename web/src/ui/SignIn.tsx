import { useRef, useState } from "preact/hooks";
import { ApiError } from "../api.ts";
import { notice, signIn } from "../state/session.ts";
import { errorText } from "./format.ts";

function refusal(e: unknown): string {
  if (e instanceof ApiError && e.code === "rate_limited" && e.retryAfter) {
    const secs = Number(e.retryAfter);
    if (Number.isFinite(secs) && secs > 0) {
      const wait = secs >= 90 ? `${Math.ceil(secs / 60)} minutes` : `${Math.ceil(secs)} seconds`;
      return `${e.detail} Try again in ${wait}.`;
    }
  }
  return errorText(e);
}

export function SignIn() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [needCode, setNeedCode] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setError(null);
    if (!username.trim() || !password) {
      setError("Enter your username and password.");
      return;
    }
    if (needCode && !code.trim()) {
      setError("Enter the code from your authenticator app, or a recovery code.");
      codeRef.current?.focus();
      return;
    }
    setBusy(true);
    try {
      await signIn(username.trim(), password, needCode ? code.replace(/\s+/g, "") : undefined);
    } catch (err) {
      if (err instanceof ApiError && err.code === "mfa_required") {
        setNeedCode(true);
        setCode("");
        setTimeout(() => codeRef.current?.focus(), 0);
      } else {
        // After mfa_required the password is known to be right, so a
        // refusal here is about the code (the server's one answer for all
        // says "username or password").
        setError(
          needCode && err instanceof ApiError && err.code === "invalid_credentials"
            ? "That code was not accepted. Enter the current code from your authenticator app, or an unused recovery code."
            : refusal(err),
        );
        if (needCode) {
          setCode("");
          setTimeout(() => codeRef.current?.focus(), 0);
        } else if (err instanceof ApiError && err.code === "invalid_credentials") {
          setPassword("");
          setTimeout(() => passwordRef.current?.focus(), 0);
        }
      }
    } finally {
      setBusy(false);
    }
  };

  const back = () => {
    setNeedCode(false);
    setCode("");
    setPassword("");
    setError(null);
    setTimeout(() => passwordRef.current?.focus(), 0);
  };

  return (
    <main class="signin" aria-labelledby="signin-title">
      <form class="card" onSubmit={submit} noValidate>
        <h1 id="signin-title" class="brand">
          hippo
        </h1>
        <p class="subtitle">Secure messaging for the care team</p>
        {notice.value && (
          <p class="notice" role="status">
            {notice.value}
          </p>
        )}
        {!needCode ? (
          <>
            <label class="field">
              <span>Username</span>
              <input
                name="username"
                autoComplete="username"
                autoCapitalize="none"
                spellcheck={false}
                value={username}
                onInput={(e) => setUsername(e.currentTarget.value)}
                autoFocus
              />
            </label>
            <label class="field">
              <span>Password</span>
              <input
                ref={passwordRef}
                name="password"
                type="password"
                autoComplete="current-password"
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            </label>
          </>
        ) : (
          <>
            <p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
            <label class="field">
              <span>Authentication code</span>
              <input
                ref={codeRef}
                name="code"
                autoComplete="one-time-code"
                autoCapitalize="none"
                spellcheck={false}
                value={code}
                onInput={(e) => setCode(e.currentTarget.value)}
              />
            </label>
          </>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          {needCode && (
            <button type="button" class="secondary" onClick={back}>
              Back
            </button>
          )}
          <button type="submit" class="primary" disabled={busy} aria-disabled={busy}>
            Sign in
          </button>
        </div>
      </form>
    </main>
  );
}
