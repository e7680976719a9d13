/** Parsers of the bench's flag values: one line of error per bad value, as commander prints it. */
import { InvalidArgumentError } from 'commander';

export const positiveInt = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a positive whole number.');
  return Number(value);
};

export const wholeNumber = (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number.');
  return Number(value);
};

export const positiveNumber = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number.');
  return n;
};

const items = (value: string): string[] => value.split(',').map((v) => v.trim());

/** A comma-separated list of positive numbers, or 'none'. */
export const rateList = (value: string): number[] =>
  value === 'none' || value === '' ? [] : items(value).map(positiveNumber);
export const intList = (value: string): number[] => items(value).map(positiveInt);
export const wholeList = (value: string): number[] => items(value).map(wholeNumber);

/** A comma-separated list of names from `allowed`; `noun` names one in the error. */
export const oneOf =
  <T extends string>(allowed: readonly T[], noun: string) =>
  (value: string): T[] => {
    const list = items(value) as T[];
    for (const x of list)
      if (!allowed.includes(x)) throw new InvalidArgumentError(`unknown ${noun} '${x}' (one of ${allowed.join(', ')}).`);
    return list;
  };
