// Comlink ships node-adapter.mjs with a .d.ts beside it, which TypeScript only pairs with .mjs
// as a .d.mts; Node needs the .mjs specifier, so name its types here.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  export { default } from 'comlink/dist/esm/node-adapter';
}
