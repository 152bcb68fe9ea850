import type { StudyPlan } from '../jobs/study.js';
import type { StudyName } from '../jobs/spec.js';
import type { Command, OptionTable, OptionValues } from './args.js';

/**
 * A study command (ablation, sweep, noise-sweep) as `qmoe jobs` uses it: its option table, and
 * the plan (run specs and tables) its options make, without running anything.
 */
export interface StudyCommand {
  name: StudyName;
  command: Command;
  /** The --out DIR of the options (the runs go to DIR/runs). */
  out(values: OptionValues<OptionTable>): string;
  plan(values: OptionValues<OptionTable>, context: { command: string; args: string[] }): Pick<StudyPlan, 'name' | 'specs'>;
}
