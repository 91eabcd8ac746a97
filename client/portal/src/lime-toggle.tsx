// Which stored LIME image to show (the service renders all three): switching needs no new run.
export type LimeView = 'positive' | 'both' | 'segments';

export const LIME_VIEWS = ['positive', 'both', 'segments'] as const;

const LABELS: Record<LimeView, string> = { positive: 'Positive only', both: 'Positive and negative', segments: 'Superpixels' };

export function LimeViewToggle(props: { legend: string; name: string; value: LimeView; onChange: (v: LimeView) => void }) {
  return (
    <fieldset class="segmented-radio">
      <legend>{props.legend}</legend>
      {LIME_VIEWS.map((v) => (
        <label key={v}>
          <input type="radio" name={props.name} value={v} checked={props.value === v} onChange={() => props.onChange(v)} />
          {LABELS[v]}
        </label>
      ))}
    </fieldset>
  );
}
