declare module 'wgsl-preprocessor/wgsl-preprocessor.js' {
  /** Tagged template that resolves `#if ${flag}` / `#elif` / `#else` / `#endif` blocks. */
  export function wgsl(strings: TemplateStringsArray, ...values: unknown[]): string;
}
