/**
 * A stand-in "window" for run-store.test.ts: a separate process writing and updating its own runs in a
 * shared store directory while another process does the same. Prints one JSON line when done.
 */
import { RunStore } from '../../../../src/core/runs/runStore';
import { workspaceSource } from '../../../../src/core/runs/source';

async function main(): Promise<void> {
  const [dir, who, countText] = process.argv.slice(2);
  const count = Number(countText);
  const problems: string[] = [];
  const store = new RunStore(dir, { onProblem: p => problems.push(`${p.file}: ${p.message}`) });
  for (let i = 0; i < count; i++) {
    const now = Date.now();
    const id = `${who}-${i}`;
    await store.write({
      id,
      source: workspaceSource(`file:///ws/${id}.pdf`),
      sourceName: `${id}.pdf`,
      stepId: 's',
      stepName: 'S',
      state: 'starting',
      startedAt: now,
      updatedAt: now,
      owner: who,
    });
    await store.update(id, { state: 'ENQUEUED', executionId: `exec-${id}` }, who);
    // Reads everything the other process is writing, as a window refreshing its view does.
    if (i % 5 === 0) {
      await store.list();
    }
    await store.update(id, { state: 'SUCCESS', finishedAt: Date.now() }, who);
  }
  process.stdout.write(`${JSON.stringify({ who, problems })}\n`);
}

main().catch(e => {
  process.stdout.write(`${JSON.stringify({ error: String(e) })}\n`);
  process.exitCode = 1;
});
