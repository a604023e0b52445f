import vscode = require('vscode');
import { l10n } from 'vscode';
import { posix } from 'node:path';
import { ciCommandLine } from '../core/expected/ciCommandLine';
import { plainText } from '../core/text/plainText';
import type { Services } from '../services';
import * as settings from '../settings';

/**
 * Copy Command Line for CI: the `docutray-steps check` line for this workspace's expected results (their
 * folders, their step) on the clipboard, and where the key comes from in CI. True once copied.
 */
export async function copyCommandLine(s: Services): Promise<boolean> {
  await s.expected.index.ready();
  const documents = s.expected.index.all().flatMap(e =>
    e.documentUri && e.stepId
      ? [
          {
            folder: posix.dirname(vscode.workspace.asRelativePath(e.documentUri, false)).replace(/^\.$/, ''),
            stepId: e.stepId,
          },
        ]
      : [],
  );
  const pkg = vscode.extensions.getExtension('docutray-community.docutray-steps')?.packageJSON as
    { version?: string; repository?: { url?: string } } | undefined;
  const { line, stepId } = ciCommandLine({
    version: pkg?.version ?? '0.0.0',
    repository: pkg?.repository?.url ?? 'https://github.com/docutray-community/docutray-steps-vscode',
    documents,
    configuredSteps: settings.steps().steps.map(st => st.id),
  });
  await vscode.env.clipboard.writeText(line);
  s.walkthrough('cli');
  void vscode.window.showInformationMessage(
    stepId === undefined
      ? l10n.t(
          'DocuTray: copied the command line for CI. Replace <step-id> with your step ID, and give the job your API key as the DOCUTRAY_API_KEY secret.',
        )
      : documents.length === 0
        ? l10n.t(
            'DocuTray: copied the command line for CI, for the step {0}. No document has an expected result yet: create some first (Create Expected Result on a result), and give the job your API key as the DOCUTRAY_API_KEY secret.',
            plainText(stepId),
          )
        : l10n.t(
            'DocuTray: copied the command line that checks your expected results of {0} in CI. Give the job your API key as the DOCUTRAY_API_KEY secret; the README has a whole workflow.',
            plainText(stepId),
          ),
  );
  return true;
}
