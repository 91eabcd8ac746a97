// Gradient SHAP's α design, for the explain form and the study form.
import { ALPHA_SAMPLING_LABELS, type Params } from './methods.ts';

export function AlphaSamplingSelect(props: { id: string; value: Params['gradientAlphaSampling']; onChange: (v: Params['gradientAlphaSampling']) => void }) {
  return (
    <div class="field">
      <label for={props.id}>Gradient SHAP α sampling</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value as Params['gradientAlphaSampling'])}>
        {Object.entries(ALPHA_SAMPLING_LABELS).map(([value, label]) => (
          <option value={value} key={value}>
            {label}
          </option>
        ))}
      </select>
    </div>
  );
}
