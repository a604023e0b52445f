import vscode = require('vscode');
import { l10n } from 'vscode';
import { StepDefinition, stepToSave, upsertStep } from '../core/runs/steps';
import type { RunOutcome } from './runService';
import * as settings from '../settings';

/**
 * After a run on a step id typed by hand (say `cm5vm9hx30001m5cgh0p9v8qa`), DocuTray's answer named
 * the step: offer, with one button, to add it to `docutray.steps` under that name. Not awaited by the
 * run; resolves with the step saved, if the user took the offer.
 */
export async function offerToSaveStepName(
  step: StepDefinition,
  outcomes: readonly RunOutcome[],
): Promise<StepDefinition | undefined> {
  const serviceName = outcomes.map(o => o.run?.serviceStepName).find(n => n && n !== step.id);
  const toSave = stepToSave(settings.steps().steps, step.id, serviceName);
  if (!toSave) {
    return undefined;
  }
  const add = l10n.t('Add to My Steps');
  const choice = await vscode.window.showInformationMessage(
    l10n.t(
      'DocuTray calls step {0} "{1}". Add it to your steps (docutray.steps) under that name?',
      step.id,
      toSave.name,
    ),
    add,
  );
  if (choice !== add) {
    return undefined;
  }
  // Read again: the settings may have changed while the message was open.
  await settings.saveSteps(upsertStep(settings.steps().steps, toSave));
  return toSave;
}
