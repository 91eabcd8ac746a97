// Colormaps as 256-entry lookup tables.
//
// viridis / cividis / inferno: matplotlib's ListedColormap data (lib/matplotlib/_cm_listed.py, 256
// float RGB rows each), embedded here rounded to bytes (|error| ≤ 0.5/255 per channel). matplotlib's
// own `cmap(x, bytes=True)` truncates instead of rounding, so it can be 1 lower; the published hex
// tables (e.g. viridis' #440154 … #fde725) round, as we do.
//
// jet: OpenCV's COLORMAP_JET (what pytorch-grad-cam's show_cam_on_image uses), computed the way
// OpenCV builds it: float32 base table, float32 interp1 at linspace(0, 1, 256), then
// convertTo(CV_8U, 255) (round half to even). Not matplotlib's 'jet', whose breakpoints differ.
//
// diverging: shap's `red_transparent_blue` (shap/plots/colors/_colors.py), a
// LinearSegmentedColormap.from_list of 200 RGBA anchors: blue (30, 136, 229) with alpha falling
// 1 → 0, then red (255, 13, 87) with alpha rising 0 → 1, sampled like matplotlib at N = 256.

export type ColormapName = 'viridis' | 'cividis' | 'inferno' | 'jet';

export const COLORMAP_NAMES: readonly ColormapName[] = ['viridis', 'cividis', 'inferno', 'jet'];
export const DEFAULT_COLORMAP: ColormapName = 'viridis';

/** The anchor colors of shap's red_transparent_blue (its "old" blue/red, not colors.blue_rgb/red_rgb). */
export const SHAP_BLUE: readonly [number, number, number] = [30, 136, 229];
export const SHAP_RED: readonly [number, number, number] = [255, 13, 87];

export function isColormapName(x: unknown): x is ColormapName {
  return typeof x === 'string' && (COLORMAP_NAMES as readonly string[]).includes(x);
}

// prettier-ignore
const VIRIDIS_HEX =
  '44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164471365481467481668481769' +
  '48186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a' +
  '472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85' +
  '4240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b' +
  '3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d' +
  '33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e' +
  '2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e' +
  '26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d' +
  '21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88' +
  '1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad81' +
  '28ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc74' +
  '3fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863' +
  '5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d' +
  '84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32' +
  'addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a' +
  'd8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725';

const CIVIDIS_HEX =
  '00224e00234f00245100255300255400265600275800285900285b00295d002a5f002a61002b62002c64002c66002d68' +
  '002e6a002e6c002f6d00306f0030700031700031710132710533710833700c34700f357012357014367016377018376f' +
  '1a386f1c396f1e3a6f203a6f213b6e233c6e243c6e263d6e273e6e293f6e2a3f6d2b406d2d416d2e416d2f426d31436d' +
  '32436d33446d34456c35456c36466c38476c39486c3a486c3b496c3c4a6c3d4a6c3e4b6c3f4c6c404c6c414d6c424e6c' +
  '434e6c444f6c45506c46516c47516c48526c49536c4a536c4b546c4c556c4d556c4e566c4f576c50576c51586d52596d' +
  '535a6d545a6d555b6d555c6d565c6d575d6d585e6d595e6e5a5f6e5b606e5c616e5d616e5e626e5e636f5f636f60646f' +
  '61656f62656f636670646770656870656870666970676a71686a71696b716a6c716b6d726c6d726c6e726d6f726e6f73' +
  '6f70737071737172747272747273747374757474757575757676767777767777777878777979777a7a787b7a787c7b78' +
  '7d7c787e7c787e7d787f7e78807f78817f788280798381798482798582798683798784788885788985788a86788b8778' +
  '8c88788d88788e89788f8a78908b78918b78928c78928d78938e78948e77958f779690779791779892779992779a9376' +
  '9b94769c95769d95769e96769f9775a09875a19975a29975a39a74a49b74a59c74a69c74a79d73a89e73a99f73aaa073' +
  'aba072aca172ada272aea371afa471b0a571b1a570b3a670b4a76fb5a86fb6a96fb7a96eb8aa6eb9ab6dbaac6dbbad6d' +
  'bcae6cbdae6cbeaf6bbfb06bc0b16ac1b26ac2b369c3b369c4b468c5b568c6b667c7b767c8b866c9b965cbb965ccba64' +
  'cdbb63cebc63cfbd62d0be62d1bf61d2c060d3c05fd4c15fd5c25ed6c35dd7c45cd9c55cdac65bdbc75adcc859ddc858' +
  'dec958dfca57e0cb56e1cc55e2cd54e4ce53e5cf52e6d051e7d150e8d24fe9d34eead34cebd44bedd54aeed649efd748' +
  'f0d846f1d945f2da44f3db42f5dc41f6dd3ff7de3ef8df3cf9e03afbe138fce236fde334fee434fee535fee636fee838';

const INFERNO_HEX =
  '00000401000501010601010802010a02020c02020e03021004031204031405041706041907051b08051d09061f0a0722' +
  '0b07240c08260d08290e092b10092d110a30120a32140b34150b37160b39180c3c190c3e1b0c411c0c431e0c451f0c48' +
  '210c4a230c4c240c4f260c51280b53290b552b0b572d0b592f0a5b310a5c320a5e340a5f3609613809623909633b0964' +
  '3d09653e0966400a67420a68440a68450a69470b6a490b6a4a0c6b4c0c6b4d0d6c4f0d6c510e6c520e6d540f6d550f6d' +
  '57106e59106e5a116e5c126e5d126e5f136e61136e62146e64156e65156e67166e69166e6a176e6c186e6d186e6f196e' +
  '71196e721a6e741a6e751b6e771c6d781c6d7a1d6d7c1d6d7d1e6d7f1e6c801f6c82206c84206b85216b87216b88226a' +
  '8a226a8c23698d23698f24699025689225689326679526679727669827669a28659b29649d29649f2a63a02a63a22b62' +
  'a32c61a52c60a62d60a82e5fa92e5eab2f5ead305dae305cb0315bb1325ab3325ab43359b63458b73557b93556ba3655' +
  'bc3754bd3853bf3952c03a51c13a50c33b4fc43c4ec63d4dc73e4cc83f4bca404acb4149cc4248ce4347cf4446d04545' +
  'd24644d34743d44842d54a41d74b3fd84c3ed94d3dda4e3cdb503bdd513ade5238df5337e05536e15635e25734e35933' +
  'e45a31e55c30e65d2fe75e2ee8602de9612bea632aeb6429eb6628ec6726ed6925ee6a24ef6c23ef6e21f06f20f1711f' +
  'f1731df2741cf3761bf37819f47918f57b17f57d15f67e14f68013f78212f78410f8850ff8870ef8890cf98b0bf98c0a' +
  'f98e09fa9008fa9207fa9407fb9606fb9706fb9906fb9b06fb9d07fc9f07fca108fca309fca50afca60cfca80dfcaa0f' +
  'fcac11fcae12fcb014fcb216fcb418fbb61afbb81dfbba1ffbbc21fbbe23fac026fac228fac42afac62df9c72ff9c932' +
  'f9cb35f8cd37f8cf3af7d13df7d340f6d543f6d746f5d949f5db4cf4dd4ff4df53f4e156f3e35af3e55df2e661f2e865' +
  'f2ea69f1ec6df1ed71f1ef75f1f179f2f27df2f482f3f586f3f68af4f88ef5f992f6fa96f8fb9af9fc9dfafda1fcffa4';

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  if (out.length !== 768) throw new Error('colormap table must have 256 RGB entries');
  return out;
}

/** Python's round-half-to-even, as cvRound / saturate_cast do. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** OpenCV's COLORMAP_JET LUT, RGB order (OpenCV's own is BGR). */
function buildJet(): Uint8Array {
  const f = Math.fround;
  // OpenCV's static r/g/b tables are Octave's jet(256): clip(1.5 − |4x − c|, 0, 1) at x = i/255,
  // with c = 3 (red), 2 (green), 1 (blue), stored as float32.
  const step = f(1 / 255);
  const X = Float32Array.from({ length: 256 }, (_, i) => f(i * step));
  const channel = (c: number) => Float32Array.from({ length: 256 }, (_, i) => Math.min(1, Math.max(0, 1.5 - Math.abs((4 * i) / 255 - c))));
  // interp1_<float> at xi = X[i]: its binary search lands on (low, high) = (i − 1, i) for i ≥ 1.
  const interp = (Y: Float32Array, i: number): number => {
    const xi = X[i];
    let low = 0;
    let high = 255;
    if (xi < X[low]) high = 1;
    if (xi > X[high]) low = high - 1;
    while (high - low > 1) {
      const c = low + ((high - low) >> 1);
      if (xi > X[c]) low = c;
      else high = c;
    }
    return f(Y[low] + f(f(f(xi - X[low]) * f(Y[high] - Y[low])) / f(X[high] - X[low])));
  };
  const lut = new Uint8Array(768);
  const planes = [channel(3), channel(2), channel(1)];
  for (let i = 0; i < 256; i++) {
    for (let k = 0; k < 3; k++) lut[i * 3 + k] = Math.min(255, Math.max(0, roundHalfEven(f(interp(planes[k], i) * 255))));
  }
  return lut;
}

/** matplotlib LinearSegmentedColormap.from_list(colors) sampled at N entries (float RGBA rows). */
function fromList(colors: readonly (readonly number[])[], n = 256): Float64Array {
  const m = colors.length;
  const out = new Float64Array(n * 4);
  for (let i = 0; i < n; i++) {
    // Anchor k sits at k/(m−1); LUT entry i at i/(n−1): linear interpolation between neighbours.
    const pos = (i * (m - 1)) / (n - 1);
    const k = Math.min(m - 2, Math.floor(pos));
    const d = pos - k;
    for (let c = 0; c < 4; c++) out[i * 4 + c] = Math.min(1, Math.max(0, colors[k][c] + d * (colors[k + 1][c] - colors[k][c])));
  }
  return out;
}

function buildDiverging(): Uint8Array {
  const anchors: number[][] = [];
  const blue = SHAP_BLUE.map((v) => v / 255);
  const red = SHAP_RED.map((v) => v / 255);
  for (let k = 0; k < 100; k++) anchors.push([...blue, 1 - k / 99]); // np.linspace(1, 0, 100)
  for (let k = 0; k < 100; k++) anchors.push([...red, k / 99]); // np.linspace(0, 1, 100)
  const lut = fromList(anchors);
  return Uint8Array.from(lut, (v) => Math.round(v * 255));
}

const cache = new Map<string, Uint8Array>();

/** 256 × RGB bytes (768). Shared and cached: treat as read-only. */
export function colormapLut(name: ColormapName): Uint8Array {
  let lut = cache.get(name);
  if (!lut) {
    switch (name) {
      case 'viridis':
        lut = fromHex(VIRIDIS_HEX);
        break;
      case 'cividis':
        lut = fromHex(CIVIDIS_HEX);
        break;
      case 'inferno':
        lut = fromHex(INFERNO_HEX);
        break;
      case 'jet':
        lut = buildJet();
        break;
      default:
        throw new RangeError(`unknown colormap ${String(name)}; expected one of ${COLORMAP_NAMES.join(', ')}`);
    }
    cache.set(name, lut);
  }
  return lut;
}

/** shap's red_transparent_blue: 256 × RGBA bytes (1024); index 0 = most negative, 255 = most positive. */
export function divergingLut(): Uint8Array {
  let lut = cache.get('diverging');
  if (!lut) cache.set('diverging', (lut = buildDiverging()));
  return lut;
}

/**
 * LUT index of a value t in [0, 1]. matplotlib's rule (Colormap.__call__: int(t × N), clipped to
 * N − 1) for its maps and the diverging map; for 'jet' OpenCV's input, np.uint8(255 × t) on float32
 * (as show_cam_on_image computes it). NaN maps to 0.
 */
export function lutIndex(t: number, name: ColormapName | 'diverging'): number {
  if (!(t > 0)) return 0;
  if (t >= 1) return 255;
  if (name === 'jet') return Math.trunc(Math.fround(255 * Math.fround(t)));
  return Math.min(255, Math.floor(t * 256));
}

/** The RGB color of t ∈ [0, 1] under a sequential colormap. */
export function colorAt(name: ColormapName, t: number): [number, number, number] {
  const lut = colormapLut(name);
  const i = lutIndex(t, name) * 3;
  return [lut[i], lut[i + 1], lut[i + 2]];
}

/** The RGBA color of s ∈ [−1, 1] under the diverging map (0 → transparent). */
export function divergingAt(s: number): [number, number, number, number] {
  const lut = divergingLut();
  const i = lutIndex((s + 1) / 2, 'diverging') * 4;
  return [lut[i], lut[i + 1], lut[i + 2], lut[i + 3]];
}
