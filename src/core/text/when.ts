/** When something happened, as a list shows it: the time for today (with seconds), else the date and time. */
export function when(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  return d.toDateString() === new Date(now).toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}
