import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { PlanFileError, errorMessage } from '../errors/codes';
import { parseFrozenPlan, type FrozenPlan } from '../plan/frozen';

/** Plan files hold names and addresses: readable by the owner only, like the state database. */
export function writePlanFile(file: string, plan: FrozenPlan): void {
  writeFileSync(file, `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o600 });
  // writeFileSync keeps the mode of a file that already existed.
  chmodSync(file, 0o600);
}

export function readPlanFile(file: string): FrozenPlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PlanFileError('PLAN_INVALID', `cannot read plan file ${file}: ${errorMessage(err)}`);
  }
  const parsed = parseFrozenPlan(text);
  if (!parsed.ok) throw new PlanFileError('PLAN_INVALID', `${file} cannot be applied: ${parsed.problem}`);
  return parsed.plan;
}
