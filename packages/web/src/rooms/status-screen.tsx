import type { ReactNode } from 'react';

/** A full-page message about the call (waiting, refused, ended…) with what to do next. */
export function StatusScreen({ title, help, waiting = false, children }: { title: string; help: string; waiting?: boolean; children?: ReactNode }) {
  return (
    <main className="room-page status">
      {waiting && <span className="spinner" aria-hidden="true" />}
      <h1>{title}</h1>
      <p>{help}</p>
      <div className="row center">{children}</div>
    </main>
  );
}
