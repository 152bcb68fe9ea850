import { describe, expect, it } from 'vitest';
import { UsageError, choice, flag, int, ints, num, nums, parseCommand, parseDecimal, text } from '../../src/cli/args.js';

const TABLE = {
  epochs: int(1, 100),
  lr: num(0, 10, { above: true }),
  shift: num(-10, 10),
  offset: int(-5, 5),
  rates: nums(0, 1, { what: 'an error rate' }),
  sizes: ints(-3, 64),
  mode: choice(['a', 'b']),
  title: text(),
  json: flag(),
} as const;

const parse = (...args: string[]) => parseCommand('qmoe test', args, TABLE, 'usage: qmoe test').values;
const fails = (args: string[], message: RegExp) => {
  expect(() => parse(...args), args.join(' ')).toThrow(UsageError);
  expect(() => parse(...args), args.join(' ')).toThrow(message);
};

describe('parseCommand: numbers in option values', () => {
  it('reads decimal numbers only: digits, sign, fraction, exponent', () => {
    for (const [t, v] of [
      ['16', 16],
      ['+3', 3],
      ['-0.5', -0.5],
      ['.5', 0.5],
      ['5.', 5],
      ['1e-3', 0.001],
      ['2.5E+2', 250],
      [' 7 ', 7],
    ] as const) {
      expect(parseDecimal(t), t).toBe(v);
    }
    for (const t of ['0x10', '0b1', '0o7', '1_000', 'Infinity', '-Infinity', 'NaN', '', ' ', '1e', 'e3', '1.2.3', '12abc', '--1', '1,5']) expect(parseDecimal(t), JSON.stringify(t)).toBeUndefined();
    expect(parseDecimal('1e400')).toBe(Infinity); // decimal, but out of every range below
  });

  it('converts and range-checks every number option, naming the option, the value and the limit', () => {
    expect(parse('--epochs', '1e1', '--lr', '0.25', '--shift', '-2.5', '--offset', '-5')).toMatchObject({ epochs: 10, lr: 0.25, shift: -2.5, offset: -5 });
    fails(['--lr', '0x10'], /--lr "0x10": must be a number/);
    fails(['--lr', 'Infinity'], /--lr "Infinity": must be a number/);
    fails(['--lr', '1e400'], /--lr "1e400": must be a number > 0 and <= 10/);
    fails(['--lr', '0'], /--lr "0": must be a number > 0 and <= 10/);
    fails(['--epochs', '2.5'], /--epochs "2.5": must be an integer$/);
    fails(['--epochs', '0x10'], /--epochs "0x10": must be an integer/);
    fails(['--epochs', '101'], /--epochs "101": must be an integer from 1 to 100/);
    fails(['--epochs', ''], /--epochs "": must be an integer/);
  });

  it('takes negative numbers as values (not as options), and says why one is refused', () => {
    expect(parse('--shift', '-3')).toMatchObject({ shift: -3 });
    expect(parse('--shift=-3')).toMatchObject({ shift: -3 });
    expect(parse('--offset', '-5', '--json')).toMatchObject({ offset: -5, json: true });
    expect(parse('--sizes', '-3,4')).toMatchObject({ sizes: [-3, 4] });
    expect(parse('--title', '-.5')).toMatchObject({ title: '-.5' });
    fails(['--epochs', '-1'], /--epochs "-1": must be an integer from 1 to 100/);
    fails(['--lr', '-1'], /--lr "-1": must be a number > 0/);
    for (const args of [['--epochs', '-1'], ['--lr', '-0.1']]) expect(() => parse(...args)).not.toThrow(/ambiguous/);
    // A value that looks like an option is still an error of util.parseArgs, naming the option.
    fails(['--title', '--json'], /--title/);
    fails(['--epochs', '-x'], /--epochs/);
  });

  it('checks lists element by element and names the element', () => {
    expect(parse('--rates', '0, 0.5,1')).toMatchObject({ rates: [0, 0.5, 1] });
    fails(['--rates', '0,abc'], /--rates "0,abc": must be comma-separated numbers from 0 to 1/);
    fails(['--rates', '0,,1'], /--rates "0,,1": must be comma-separated numbers/);
    fails(['--rates', '0,0x1'], /must be comma-separated numbers/);
    fails(['--rates', '0,1.5'], /--rates\[1\] "1.5": an error rate must be a number from 0 to 1/);
    fails(['--sizes', '16,8.5'], /--sizes\[1\] "8.5": must be an integer/);
  });

  it('checks choices, unknown options and positionals', () => {
    expect(parse('--mode', 'b')).toMatchObject({ mode: 'b' });
    fails(['--mode', 'c'], /--mode "c": must be a, b/);
    fails(['--bogus'], /unknown option '--bogus'/);
    fails(['stray'], /unexpected argument 'stray'/);
    fails(['--epochs'], /--epochs/);
    expect(parse('-h').help).toBe(true);
    expect(parseCommand('qmoe test', ['a', '--json', 'b'], TABLE, 'usage', { positionals: true })).toMatchObject({ positionals: ['a', 'b'], values: { json: true } });
  });
});
