/** The end of every form: its error, if any, announced; and the submit button, busy while working. */
export function FormFooter({ error, busy, label, busyLabel }: { error: string | null; busy: boolean; label: string; busyLabel: string }) {
  return (
    <>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? busyLabel : label}
      </button>
    </>
  );
}
