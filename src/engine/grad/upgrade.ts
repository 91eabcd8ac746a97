// Rewrites forward nodes of an older default-domain opset so they keep their meaning under the
// opset the backward graph needs (>= 17: ScatterElements reduction, input-form axes). Only the
// operators whose signature or semantics changed between opset 7 and 17 need work; the rest are
// valid as they are.
import { EngineError } from '../errors.ts';
import type { NodeProto } from '../onnx/proto.ts';
import { attrInt as mkAttrInt, attrString, floatTensor, int64Tensor, node } from '../onnx/graph.ts';
import type { ShapeTable } from './shapes.ts';
import { attrFloat, attrInt, attrIntsOr, attrOf, attrStr, type Emitter, withoutAttrs } from './util.ts';

export const GRAD_OPSET = 17;

/** Returns replacement nodes for `n` (usually just `[n]`), valid under GRAD_OPSET. */
export function upgradeNode(n: NodeProto, from: number, e: Emitter, shapes: ShapeTable): NodeProto[] {
  if ((n.domain ?? '') !== '' && n.domain !== 'ai.onnx') return [n];
  const op = n.opType ?? '';
  const intsInput = (values: number[]) => {
    const name = e.fresh(`${op}_ints`);
    e.initializers.push(int64Tensor(name, [values.length], values));
    return name;
  };
  const floatScalar = (v: number) => {
    const name = e.fresh(`${op}_scalar`);
    e.initializers.push(floatTensor(name, [], [v]));
    return name;
  };
  switch (op) {
    case 'Clip':
      if (from < 11) {
        const min = attrOf(n, 'min') ? floatScalar(attrFloat(n, 'min', 0)) : '';
        const max = attrOf(n, 'max') ? floatScalar(attrFloat(n, 'max', 0)) : '';
        const inputs = [n.input[0], min, max];
        while (inputs[inputs.length - 1] === '') inputs.pop();
        return [{ ...withoutAttrs(n, ['min', 'max']), input: inputs }];
      }
      return [n];
    case 'Squeeze':
    case 'Unsqueeze':
    case 'ReduceSum':
    case 'Split': {
      if (from >= 13) return [n];
      const key = op === 'Split' ? 'split' : 'axes';
      const vals = attrIntsOr(n, key);
      const m = withoutAttrs(n, [key]);
      if (vals) m.input = [n.input[0], intsInput(vals)];
      return [m];
    }
    case 'Pad':
      if (from < 11) {
        const pads = attrIntsOr(n, 'pads') ?? [];
        const value = attrFloat(n, 'value', 0);
        return [{ ...withoutAttrs(n, ['pads', 'value']), input: [n.input[0], intsInput(pads), floatScalar(value)] }];
      }
      return [n];
    case 'Slice':
      if (from < 10) {
        const starts = attrIntsOr(n, 'starts') ?? [];
        const ends = attrIntsOr(n, 'ends') ?? [];
        const axes = attrIntsOr(n, 'axes');
        const inputs = [n.input[0], intsInput(starts), intsInput(ends)];
        if (axes) inputs.push(intsInput(axes));
        return [{ ...withoutAttrs(n, ['starts', 'ends', 'axes']), input: inputs }];
      }
      return [n];
    case 'Dropout':
      // Inference: identity. Older versions had ratio/is_test attributes.
      return from < 12 ? [{ ...withoutAttrs(n, ['ratio', 'is_test']), input: [n.input[0]] }] : [n];
    case 'BatchNormalization': {
      if (from >= 9) return [n];
      if (attrInt(n, 'spatial', 1) === 0) {
        throw new EngineError('UNSUPPORTED_OPERATOR', `BatchNormalization with spatial=0 (node '${n.name ?? ''}') is not supported`);
      }
      return [withoutAttrs(n, ['spatial', 'is_test', 'consumed_inputs'])];
    }
    case 'Softmax':
    case 'LogSoftmax':
    case 'Hardmax': {
      if (from >= 13) return [n];
      // Before 13: coerce to 2-D at `axis` (default 1), normalize rows.
      const axis = attrInt(n, 'axis', 1);
      const rank = shapes.rank(n.input[0]);
      if (rank !== null && (axis === rank - 1 || axis === -1)) return [{ ...withoutAttrs(n, ['axis']), attribute: [mkAttrInt('axis', -1)] }];
      const flat = e.fresh(`${op}_flat`);
      const soft = e.fresh(`${op}_2d`);
      const shape = e.fresh(`${op}_shape`);
      return [
        node('Flatten', [n.input[0]], [flat], [mkAttrInt('axis', axis)], flat),
        node(op, [flat], [soft], [mkAttrInt('axis', -1)], n.name),
        node('Shape', [n.input[0]], [shape], [], shape),
        node('Reshape', [soft, shape], [n.output[0]], [], soft + '_back'),
      ];
    }
    case 'Upsample': {
      // Upsample is gone after opset 9; Resize with asymmetric coordinates is the same operator.
      const mode = attrStr(n, 'mode', 'nearest');
      const scalesAttr = attrOf(n, 'scales');
      let scales = n.input[1];
      if (!scales && scalesAttr) {
        scales = e.fresh('Upsample_scales');
        e.initializers.push(floatTensor(scales, [scalesAttr.floats.length], scalesAttr.floats));
      }
      const attrs = [attrString('mode', mode === 'bilinear' ? 'linear' : mode), attrString('coordinate_transformation_mode', 'asymmetric')];
      if (mode === 'nearest') attrs.push(attrString('nearest_mode', 'floor'));
      return [node('Resize', [n.input[0], '', scales], [n.output[0]], attrs, n.name)];
    }
    case 'Gemm':
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      if (from < 7) {
        throw new EngineError('UNSUPPORTED_MODEL', `opset ${from} models (legacy broadcasting) are not supported for gradients; re-export with opset >= 11`);
      }
      return [n];
    default:
      return [n];
  }
}
