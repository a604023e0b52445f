import vscode = require('vscode');
import { l10n } from 'vscode';
import { askInput, askPick } from '../ask';
import { StepDefinition, orderByLastUsed, upsertStep } from '../core/runs/steps';
import { plainText } from '../core/text/plainText';
import * as settings from '../settings';

const LAST_STEP_KEY = 'docutray.lastStepId';

type PickItem = vscode.QuickPickItem & { step?: StepDefinition; action?: 'enter' | 'configure' };

/**
 * Chooses the step to run: the configured steps (last used first), or a step ID typed in, or a detour
 * to configure one. DocuTray has no endpoint that lists steps, so the list comes from the settings.
 */
export class StepPicker {
  constructor(private readonly state: vscode.Memento) {}

  /**
   * The step a command was given (by id: a keybinding, another extension, a test), as configured when it is,
   * else the picker. `leaveOut`: a step id the picker does not offer (the one already chosen for a comparison).
   */
  async choose(stepId: string | undefined, title: string, leaveOut?: string): Promise<StepDefinition | undefined> {
    if (stepId) {
      return settings.steps().steps.find(step => step.id === stepId) ?? { id: stepId, name: stepId };
    }
    return this.pick(title, leaveOut);
  }

  async pick(title: string, leaveOut?: string): Promise<StepDefinition | undefined> {
    const configured = settings.steps().steps;
    const steps = configured.filter(step => step.id !== leaveOut);
    const ordered = orderByLastUsed(steps, this.state.get<string>(LAST_STEP_KEY));
    const items: PickItem[] = ordered.map(step => ({
      label: step.name,
      description: step.name === step.id ? undefined : step.id,
      detail: step.description,
      step,
    }));
    if (items.length) {
      items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
    }
    items.push(
      { label: `$(edit) ${l10n.t('Enter a step ID…')}`, action: 'enter', alwaysShow: true },
      { label: `$(gear) ${l10n.t('Configure Steps…')}`, action: 'configure', alwaysShow: true },
    );
    const choice = await askPick(items, {
      title,
      placeHolder: steps.length
        ? l10n.t('Pick a DocuTray step')
        : configured.length
          ? l10n.t('No other step is configured: enter a step ID, or add one to your settings.')
          : l10n.t(
              'No steps configured yet. Steps are set up in the DocuTray dashboard: enter a step ID, or add one to your settings.',
            ),
      matchOnDescription: true,
      matchOnDetail: true,
      // Run from the palette over a webview editor (the image preview of a PNG or JPEG), the webview
      // takes the focus back just after this opens (microsoft/vscode#93950) and would close it. Our
      // other prompts stay open on focus loss too; Escape closes it.
      ignoreFocusOut: true,
    });
    if (!choice) {
      return undefined;
    }
    if (choice.action === 'enter') {
      const id = await askStepId();
      return id ? this.remember({ id, name: id }) : undefined;
    }
    if (choice.action === 'configure') {
      const step = await configureSteps();
      return step ? this.remember(step) : undefined;
    }
    return choice.step ? this.remember(choice.step) : undefined;
  }

  private async remember(step: StepDefinition): Promise<StepDefinition> {
    await this.state.update(LAST_STEP_KEY, step.id);
    return step;
  }
}

export function validateStepId(value: string): string | undefined {
  const v = value.trim();
  if (!v) {
    return l10n.t('Enter the step ID from the DocuTray dashboard.');
  }
  if (v === '.' || v === '..' || v.length > 200) {
    return l10n.t('This is not a valid step ID.');
  }
  return undefined;
}

async function askStepId(value?: string): Promise<string | undefined> {
  const id = await askInput({
    title: l10n.t('DocuTray step ID'),
    prompt: l10n.t('The ID of a step configured in the DocuTray dashboard'),
    value,
    ignoreFocusOut: true,
    validateInput: validateStepId,
  });
  return id?.trim() || undefined;
}

/**
 * Adds a step to, or edits one in, the user's `docutray.steps` through input boxes (the Settings UI
 * cannot edit arrays of objects). Resolves with the step saved.
 */
export async function configureSteps(): Promise<StepDefinition | undefined> {
  const { steps } = settings.steps();
  let editing: StepDefinition | undefined;
  if (steps.length) {
    const choice = await askPick<vscode.QuickPickItem & { step?: StepDefinition }>(
      [
        { label: `$(add) ${l10n.t('Add a step…')}` },
        { label: '', kind: vscode.QuickPickItemKind.Separator },
        ...steps.map(step => ({ label: `$(edit) ${step.name}`, description: step.id, step })),
      ],
      {
        title: l10n.t('Configure DocuTray steps'),
        placeHolder: l10n.t('Add a step, or pick one to edit'),
        ignoreFocusOut: true,
      },
    );
    if (!choice) {
      return undefined;
    }
    editing = choice.step;
  }
  const id = await askStepId(editing?.id);
  if (!id) {
    return undefined;
  }
  const name = await askInput({
    title: l10n.t('Name for step {0}', id),
    prompt: l10n.t('How the step is listed in the step picker'),
    value: editing?.name ?? id,
    ignoreFocusOut: true,
  });
  if (name === undefined) {
    return undefined;
  }
  const description = await askInput({
    title: l10n.t('Description for step {0} (optional)', id),
    value: editing?.description ?? '',
    ignoreFocusOut: true,
  });
  if (description === undefined) {
    return undefined;
  }
  const step: StepDefinition = { id, name: name.trim() || id, description: description.trim() || undefined };
  const where = await settings.saveSteps(upsertStep(steps, step, editing?.id));
  // Says where it went, and which file, with a button that opens it: a step saved in the workspace's
  // settings is shared through the repository, one in the user's follows the user to every workspace.
  const open = l10n.t('Open Settings File');
  void vscode.window
    .showInformationMessage(
      where === 'workspace'
        ? l10n.t(
            'Saved the DocuTray step "{0}" in docutray.steps of this workspace\'s settings, in {1}.',
            plainText(step.name),
            plainText(settings.workspaceSettingsFile()),
          )
        : l10n.t(
            'Saved the DocuTray step "{0}" in docutray.steps of your user settings. They are in your profile\'s settings.json, not in the workspace.',
            plainText(step.name),
          ),
      open,
    )
    .then(choice =>
      choice === open
        ? vscode.commands.executeCommand(
            where === 'workspace' ? 'workbench.action.openWorkspaceSettingsFile' : 'workbench.action.openSettingsJson',
          )
        : undefined,
    );
  return step;
}
