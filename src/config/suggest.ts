/** Edit distance (insert, delete, substitute: 1 each), for "did you mean" hints on typos. */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The known name closest to `typo`, when it is close enough to be a typo: a wrong case
 * (basedns), one or two slips, or up to a third of the word for long names. Nothing otherwise:
 * a wild guess is worse than none.
 */
export function suggest(typo: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = name.toLowerCase() === typo.toLowerCase() ? 0 : levenshtein(typo.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (!best) return undefined;
  const allowed = Math.max(2, Math.floor(Math.max(typo.length, best.name.length) / 3));
  return best.distance <= allowed ? best.name : undefined;
}
