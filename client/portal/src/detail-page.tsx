// A page about one thing (an image's results, a study): the way back, its heading, which takes the
// focus whenever the page shows another item (so a screen reader announces it), and the page's error.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export function DetailPage(p: {
  headingId: string;
  class: string;
  back: { href: string; text: string };
  title: ComponentChildren;
  /** The item shown: the heading takes the focus when it changes. */
  itemId: string;
  error: string | null;
  children: ComponentChildren;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [p.itemId]);
  return (
    <section aria-labelledby={p.headingId} class={p.class}>
      <p>
        <a href={p.back.href}>{p.back.text}</a>
      </p>
      <h2 id={p.headingId} tabIndex={-1} ref={heading}>
        {p.title}
      </h2>
      {p.error && (
        <p class="error" role="alert">
          {p.error}
        </p>
      )}
      {p.children}
    </section>
  );
}
