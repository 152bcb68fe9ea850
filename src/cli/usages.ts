/**
 * The one-line usages of the commands that qmoe's own help shows: here, and not in the commands'
 * modules, so that `qmoe` loads a command's module only to run it or print its help.
 */
export const DOCTOR_USAGE = 'usage: qmoe doctor [--json]';
export const SIMULATE_USAGE = 'usage: qmoe simulate --qasm FILE [--backend cpu|cpu64|webgpu|auto] [--experts N] [--noise P [--p2 P] [--readout R] [--trajectories T] [--seed N]] [--shots S] [--json] [--all]';
export const GRAD_USAGE = 'usage: qmoe grad --qasm FILE --weights W.json [--noise P [--p2 P2] [--readout R] [--trajectories T] [--seed N]] [--backend cpu|cpu64|webgpu|auto] [--json]';
export const EVAL_USAGE = 'usage: qmoe eval --model FILE [--dataset moons] [--samples N] [--noise X] [--data-seed N] [--data-file F.csv [--label-column NAME]] [--split test|validation|train] [--route-seed N] [--gate-noise P [--trajectories T] [--shots S]] [--backend cpu|cpu64|webgpu|auto] [--json]';
export const JOBS_USAGE = 'usage: qmoe jobs list COMMAND [options of COMMAND] | qmoe jobs run --index I COMMAND [options of COMMAND]  (COMMAND: ablation, sweep, noise-sweep)';
export const WORKER_USAGE = 'usage: qmoe worker --queue URL [--concurrency N] [--stall-seconds S] [--redis-timeout S] [--quiet]';
