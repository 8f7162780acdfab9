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
 * features and fwdReturn DOUBLE with nulls, label STRING; the `# …` metadata as key-value
 * metadata). Both are byte-for-byte deterministic for the same rows.
 */
export function openDatasetWriter(path: string, names: readonly string[], meta: Record<string, string>): DatasetWriter {
  return path.endsWith('.parquet') ? new ParquetDatasetWriter(path, names, meta) : new CsvDatasetWriter(path, names, meta);
}

class CsvDatasetWriter implements DatasetWriter {
  private readonly w: HashingFileWriter;
  constructor(path: string, names: readonly string[], meta: Record<string, string>) {
    writeFileSync(datasetMetaPath(path), `${JSON.stringify(meta, null, 2)}\n`);
    this.w = new HashingFileWriter(path);
    this.w.write(`symbol,barEnd,${names.join(',')},fwdReturn,label\n`);
  }
  write(r: DatasetRow): void {
    this.w.write(`${r.symbol},${r.barEnd},${r.features.map(csvNumber).join(',')},${csvNumber(r.fwdReturn)},${r.label}\n`);
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

  constructor(
    private readonly path: string,
    private readonly names: readonly string[],
    meta: Record<string, string>,
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
      { name: 'fwdReturn', data: this.fwd, type: 'DOUBLE' },
      { name: 'label', data: this.labels, type: 'STRING' },
    ];
  }

  write(r: DatasetRow): void {
    this.symbols.push(r.symbol);
    this.barEnds.push(BigInt(r.barEnd));
    for (let i = 0; i < this.names.length; i++) (this.features[i] as (number | null)[]).push(r.features[i] ?? null);
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
  }

  close(): string {
    this.flush();
    void this.writer.finish(); // synchronous with fileWriter: the file is complete when it returns
    return createHash('sha256').update(readFileSync(this.path)).digest('hex');
  }
}
