import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import { datasetMetaPath } from '../model/dataset.ts';
import { csvNumber, HashingFileWriter } from './csv-writer.ts';

/** One labelled dataset row. Feature values are in the header's order; null = not warmed up. */
export interface DatasetRow {
  symbol: string;
  barEnd: number;
  features: readonly (number | null)[];
  /** Triple-barrier datasets: the barEnd of the bar that ended the label (first touch or time limit). */
  labelEnd?: number;
  fwdReturn: number;
  label: string;
}

export interface DatasetWriter {
  write(row: DatasetRow): void;
  /** Closes the file; returns the sha256 of its bytes. */
  close(): string;
}

/**
 * A dataset file by extension: `.csv` (a header and rows, numbers in shortest round-trip form, so
 * that `pandas.read_csv` and polars read it as it is; the metadata in `<file>.meta.json` beside it) or `.parquet` (the same columns: symbol STRING, barEnd INT64 epoch ms,
 * features and fwdReturn DOUBLE with nulls, label STRING; a triple-barrier dataset's labelEnd INT64 epoch ms
 * before fwdReturn; the `# …` metadata as key-value
 * metadata). Both are byte-for-byte deterministic for the same rows.
 */
export function openDatasetWriter(path: string, names: readonly string[], meta: Record<string, string>, options: { labelEnd?: boolean } = {}): DatasetWriter {
  const labelEnd = options.labelEnd === true;
  return path.endsWith('.parquet') ? new ParquetDatasetWriter(path, names, meta, labelEnd) : new CsvDatasetWriter(path, names, meta, labelEnd);
}

class CsvDatasetWriter implements DatasetWriter {
  private readonly w: HashingFileWriter;
  constructor(
    path: string,
    names: readonly string[],
    meta: Record<string, string>,
    private readonly labelEnd: boolean,
  ) {
    writeFileSync(datasetMetaPath(path), `${JSON.stringify(meta, null, 2)}\n`);
    this.w = new HashingFileWriter(path);
    this.w.write(`symbol,barEnd,${names.join(',')},${labelEnd ? 'labelEnd,' : ''}fwdReturn,label\n`);
  }
  write(r: DatasetRow): void {
    const end = this.labelEnd ? `${r.labelEnd as number},` : '';
    this.w.write(`${r.symbol},${r.barEnd},${r.features.map(csvNumber).join(',')},${end}${csvNumber(r.fwdReturn)},${r.label}\n`);
  }
  close(): string {
    return this.w.close();
  }
}

/** Rows per Parquet row group: bounds the writer's memory however long the dataset. */
const ROW_GROUP = 50_000;

class ParquetDatasetWriter implements DatasetWriter {
  private readonly writer: ParquetWriter;
  private symbols: string[] = [];
  private barEnds: bigint[] = [];
  private features: (number | null)[][];
  private fwd: number[] = [];
  private labels: string[] = [];
  private labelEnds: bigint[] = [];

  constructor(
    private readonly path: string,
    private readonly names: readonly string[],
    meta: Record<string, string>,
    private readonly labelEnd: boolean,
  ) {
    this.features = names.map(() => []);
    const schema = schemaFromColumnData({ columnData: this.columns() });
    this.writer = new ParquetWriter({ writer: fileWriter(path), schema, kvMetadata: Object.entries(meta).map(([key, value]) => ({ key, value })), createdBy: 'tickflow' });
  }

  private columns(): Parameters<ParquetWriter['write']>[0]['columnData'] {
    return [
      { name: 'symbol', data: this.symbols, type: 'STRING' },
      { name: 'barEnd', data: this.barEnds, type: 'INT64' },
      ...this.names.map((name, i) => ({ name, data: this.features[i] as (number | null)[], type: 'DOUBLE' as const })),
      ...(this.labelEnd ? [{ name: 'labelEnd', data: this.labelEnds, type: 'INT64' as const }] : []),
      { name: 'fwdReturn', data: this.fwd, type: 'DOUBLE' },
      { name: 'label', data: this.labels, type: 'STRING' },
    ];
  }

  write(r: DatasetRow): void {
    this.symbols.push(r.symbol);
    this.barEnds.push(BigInt(r.barEnd));
    for (let i = 0; i < this.names.length; i++) (this.features[i] as (number | null)[]).push(r.features[i] ?? null);
    if (this.labelEnd) this.labelEnds.push(BigInt(r.labelEnd as number));
    this.fwd.push(r.fwdReturn);
    this.labels.push(r.label);
    if (this.symbols.length >= ROW_GROUP) this.flush();
  }

  private flush(): void {
    if (this.symbols.length === 0) return;
    void this.writer.write({ columnData: this.columns(), rowGroupSize: ROW_GROUP });
    this.symbols = [];
    this.barEnds = [];
    this.features = this.names.map(() => []);
    this.fwd = [];
    this.labels = [];
    this.labelEnds = [];
  }

  close(): string {
    this.flush();
    void this.writer.finish(); // synchronous with fileWriter: the file is complete when it returns
    return createHash('sha256').update(readFileSync(this.path)).digest('hex');
  }
}
