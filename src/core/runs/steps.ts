/** Steps as the user configures them (`docutray.steps`). DocuTray has no endpoint that lists them. */

export interface StepDefinition {
  id: string;
  name: string;
  description?: string;
}

/** Reads the setting leniently: bad entries are skipped and named, not fatal. */
export function parseSteps(value: unknown): { steps: StepDefinition[]; problems: string[] } {
  const steps: StepDefinition[] = [];
  const problems: string[] = [];
  if (value === undefined || value === null) {
    return { steps, problems };
  }
  if (!Array.isArray(value)) {
    return { steps, problems: ['docutray.steps must be an array of {"id", "name", "description"} objects.'] };
  }
  const seen = new Set<string>();
  value.forEach((item, i) => {
    const id = typeof item === 'string' ? item.trim() : typeof item?.id === 'string' ? item.id.trim() : '';
    if (!id) {
      problems.push(`docutray.steps[${i}] has no "id".`);
      return;
    }
    if (seen.has(id)) {
      problems.push(`docutray.steps[${i}] repeats the step "${id}".`);
      return;
    }
    seen.add(id);
    const name = typeof item?.name === 'string' && item.name.trim() ? item.name.trim() : id;
    const description =
      typeof item?.description === 'string' && item.description.trim() ? item.description.trim() : undefined;
    steps.push({ id, name, description });
  });
  return { steps, problems };
}

/** Puts the last used step first, keeping the configured order otherwise. */
export function orderByLastUsed(steps: StepDefinition[], lastUsedId: string | undefined): StepDefinition[] {
  const i = steps.findIndex(s => s.id === lastUsedId);
  return i <= 0 ? steps : [steps[i], ...steps.slice(0, i), ...steps.slice(i + 1)];
}

/** Adds or replaces (by id) a step. */
export function upsertStep(steps: StepDefinition[], step: StepDefinition, replacingId?: string): StepDefinition[] {
  const key = replacingId ?? step.id;
  const i = steps.findIndex(s => s.id === key);
  if (i < 0) {
    return [...steps.filter(s => s.id !== step.id), step];
  }
  const out = steps.filter((s, j) => j === i || s.id !== step.id);
  out[out.findIndex(s => s.id === key)] = step;
  return out;
}

/**
 * The step to add to `docutray.steps` when a step id typed by hand (not among `configured`) came back
 * from DocuTray with a name of its own (a start answers `step_name`); undefined when there is nothing
 * to offer: the id is configured already, or DocuTray gave no name other than the id.
 */
export function stepToSave(
  configured: readonly StepDefinition[],
  stepId: string,
  serviceName: string | undefined,
): StepDefinition | undefined {
  const name = serviceName?.trim();
  if (!name || name === stepId || configured.some(s => s.id === stepId)) {
    return undefined;
  }
  return { id: stepId, name };
}

/**
 * The name a run shows: the user's own for a configured step (the name they picked it by), else the
 * name DocuTray gave (`step_name`) — what a step id typed by hand needs — else the id.
 */
export function displayStepName(step: StepDefinition, serviceName: string | undefined): string {
  const service = serviceName?.trim();
  return step.name !== step.id || !service ? step.name : service;
}
