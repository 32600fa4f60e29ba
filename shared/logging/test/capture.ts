/** An in-memory pino destination: every write is one JSON line. */
export function capture(): { readonly write: (line: string) => void; readonly lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  return {
    write: (line: string) => {
      raw.push(line);
    },
    lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
