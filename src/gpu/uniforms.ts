/**
 * Uniform structs declared once in TypeScript: the WGSL declaration a kernel includes with
 * `#struct NAME` and the bytes the host writes are both generated from the same field list, so
 * they cannot drift apart (TypeGPU's typed schemas and tfjs-backend-webgpu's uniform lists work
 * the same way). Fields are 4-byte scalars, laid out in order with WGSL's alignment rules.
 */

export type ScalarType = 'u32' | 'i32' | 'f32';

export interface UniformField<F extends string = string> {
  name: F;
  type: ScalarType;
  /** What the field holds (copied into the generated WGSL as a comment). */
  doc: string;
}

export interface UniformStruct<F extends string = string> {
  readonly name: string;
  readonly fields: readonly UniformField<F>[];
  /** Byte size of the struct in a uniform buffer (a multiple of 16). */
  readonly bytes: number;
}

/** Values for every field of a struct, by name. */
export type UniformValues<S> = S extends UniformStruct<infer F> ? Record<F, number> : never;

/** Declares a uniform struct: `{ rows: ['u32', 'samples in this dispatch'], ... }`, in field order. */
export function uniformStruct<const F extends string>(name: string, fields: Record<F, readonly [ScalarType, string]>): UniformStruct<F> {
  if (!/^[A-Za-z_]\w*$/.test(name)) throw new Error(`uniform struct name ${JSON.stringify(name)} is not a WGSL identifier`);
  const list = (Object.entries(fields) as [F, readonly [ScalarType, string]][]).map(([field, [type, doc]]) => {
    if (!/^[a-z_]\w*$/.test(field)) throw new Error(`uniform field ${name}.${field} is not a WGSL identifier`);
    return { name: field, type, doc };
  });
  if (list.length === 0) throw new Error(`uniform struct ${name} has no fields`);
  return { name, fields: list, bytes: Math.ceil((4 * list.length) / 16) * 16 };
}

/** The WGSL declaration of a struct. */
export function structWgsl(s: UniformStruct): string {
  const width = Math.max(...s.fields.map((f) => f.name.length + f.type.length + 3));
  const lines = s.fields.map((f) => `  ${`${f.name}: ${f.type},`.padEnd(width)}  // ${f.doc}`);
  return `struct ${s.name} {   // generated from src/gpu/kernels.ts\n${lines.join('\n')}\n}`;
}

/** The bytes of a struct for `values` (every field, by name; u32 and i32 must be integers in range). */
export function packUniform<F extends string>(s: UniformStruct<F>, values: Record<F, number>): ArrayBuffer {
  const buffer = new ArrayBuffer(s.bytes);
  const view = new DataView(buffer);
  s.fields.forEach((f, i) => {
    const v = values[f.name];
    if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`uniform ${s.name}.${f.name}: ${v} is not a number`);
    if (f.type === 'f32') view.setFloat32(4 * i, v, true);
    else if (f.type === 'u32') {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`uniform ${s.name}.${f.name}: ${v} is not a u32`);
      view.setUint32(4 * i, v, true);
    } else {
      if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new Error(`uniform ${s.name}.${f.name}: ${v} is not an i32`);
      view.setInt32(4 * i, v, true);
    }
  });
  return buffer;
}
