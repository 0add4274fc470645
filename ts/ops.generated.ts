// Generated from crates/ferrograd-core/src/backend/optable.rs by
// `FERROGRAD_BLESS=1 cargo test -p ferrograd-core --test op_table`; do not edit.
// The test fails when this file and the table disagree.

export const UnaryOp = {
  Neg: 0,
  Exp: 1,
  Log: 2,
  Sqrt: 3,
  Abs: 4,
  Recip: 5,
  Relu: 6,
  Sigmoid: 7,
  Tanh: 8,
  Step: 9,
  Sign: 10,
  Affine: 11,
  PowScalar: 12,
  MaxScalar: 13,
  MinScalar: 14,
  GtScalar: 15,
  LtScalar: 16,
  EqScalar: 17,
  LeakyRelu: 18,
  Floor: 19,
  Ceil: 20,
  Trunc: 21,
  Round: 22,
} as const;
export type UnaryOp = (typeof UnaryOp)[keyof typeof UnaryOp];

export const BinaryOp = {
  Add: 0,
  Sub: 1,
  Mul: 2,
  Div: 3,
  Pow: 4,
  Fmod: 5,
  Remainder: 6,
  FloorDivide: 7,
  Maximum: 8,
  Minimum: 9,
  Gt: 10,
  Lt: 11,
  Ge: 12,
  Le: 13,
  Eq: 14,
} as const;
export type BinaryOp = (typeof BinaryOp)[keyof typeof BinaryOp];
