/** One EMF document as Powertools prints it: the directive under `_aws`, then dimension and metric values. */
export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [member: string]: unknown;
}

/** The EMF documents among printed lines (the logger's lines are JSON too, without `_aws`). */
export function emfDocuments(text: string): EmfDocument[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{"_aws":'))
    .map((line) => JSON.parse(line) as EmfDocument);
}

/** What `print` writes to stdout and stderr, kept from the terminal. */
export function printedBy(print: () => void): string {
  const chunks: string[] = [];
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  const keep = (chunk: unknown): boolean => {
    chunks.push(String(chunk));
    return true;
  };
  process.stdout.write = keep as typeof process.stdout.write;
  process.stderr.write = keep as typeof process.stderr.write;
  try {
    print();
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
  return chunks.join('');
}
