/**
 * The SQL editor: a textarea over a mirror that highlights the error position, with a line-number
 * gutter. A CodeValidationException's "line L, column C" puts a marker on that line and the
 * message right below it, in place.
 */
import { useRef, useState } from 'preact/hooks';

export interface CodeError {
  message: string;
  line: number | null;
  column: number | null;
}

/** "…at line 3, column 14: …" (the analytics SQL errors) to a position. */
export function codeErrorFrom(message: string): CodeError {
  const m = /line (\d+), column (\d+)/i.exec(message);
  return { message, line: m ? Number(m[1]) : null, column: m ? Number(m[2]) : null };
}

const LINE_PX = 20;
const PAD_PX = 8;

export function SqlEditor({ value, onInput, error }: { value: string; onInput: (v: string) => void; error: CodeError | null }) {
  const [scroll, setScroll] = useState({ top: 0, left: 0 });
  const area = useRef<HTMLTextAreaElement>(null);
  const lines = value.split('\n');
  const errLine = error?.line ?? null;
  const errCol = error?.column ?? null;
  return (
    <div class="sql-editor" style={{ '--lh': `${LINE_PX}px` }}>
      <div class="gutter" aria-hidden="true" style={{ transform: `translateY(${-scroll.top}px)` }}>
        {lines.map((_, i) => (
          <div key={i} class={i + 1 === errLine ? 'ln err' : 'ln'}>
            {i + 1}
          </div>
        ))}
      </div>
      <div class="code">
        <pre class="mirror" aria-hidden="true" style={{ transform: `translate(${-scroll.left}px, ${-scroll.top}px)` }}>
          {lines.map((text, i) => {
            if (i + 1 !== errLine) return <div key={i}>{text || ' '}</div>;
            const at = Math.max(0, Math.min(text.length, (errCol ?? 1) - 1));
            return (
              <div key={i} class="err-line">
                {text.slice(0, at)}
                <mark class="err-at">{text.slice(at, at + 1) || ' '}</mark>
                {text.slice(at + 1)}
              </div>
            );
          })}
        </pre>
        <textarea
          ref={area}
          aria-label="application SQL"
          spellcheck={false}
          wrap="off"
          value={value}
          onInput={(e) => onInput(e.currentTarget.value)}
          onScroll={(e) => setScroll({ top: e.currentTarget.scrollTop, left: e.currentTarget.scrollLeft })}
        />
        {error && errLine !== null && (
          <div class="sql-error" role="alert" data-line={errLine} data-column={errCol ?? ''} style={{ top: `${PAD_PX + errLine * LINE_PX - scroll.top}px` }}>
            <span class="caret" style={{ marginLeft: `${Math.max(0, (errCol ?? 1) - 1)}ch` }}>
              ▲
            </span>
            {error.message}
          </div>
        )}
      </div>
      {error && errLine === null && (
        <p class="error" role="alert">
          {error.message}
        </p>
      )}
    </div>
  );
}
