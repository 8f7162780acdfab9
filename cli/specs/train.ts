import { defineCommand } from '../command-spec.ts';
import { duration, existingFile, num, oneOf, text } from '../flags.ts';

/** Literal copies so that parsing loads no model code; test/unit/cli pins them to model/. */
export const FAMILY_NAMES = ['auto', 'logistic', 'gbdt', 'mlp', 'sequence', 'stack'] as const;
export const CV_SCHEME_NAMES = ['purged-kfold', 'walk-forward'] as const;
export const CLASS_WEIGHT_NAMES = ['none', 'balanced'] as const;

export const TRAIN = defineCommand({
  name: 'train',
  summary: 'Trains a model on a dataset (chronological 70/15/15 split with purge and embargo) and saves it with its manifest.',
  output: '{"modelId":"…","family":"…","metrics":{…},"baseline":{…},"features":N,"droppedColumns":[…],"calibration":{…},"split":{…},"candidates":[…],"cv":{…},"gates":{…},"seeds":{n, auc: {mean, sd, min, max}, logLoss: {…}, …}|null,"confidenceBands":{n, bands: [{from, to, count, share, hitRate, ci95, baselineHitRate}]},…}',
  flags: {
    dataset: existingFile({ help: 'the dataset written by `tickflow replay dataset` (.csv or .parquet)', required: true }),
    out: text({ help: 'the model directory to write', arg: 'modelDir', required: true }),
    seed: num({ help: 'training seed', int: true, min: 0, default: '42' }),
    seeds: num({ help: 'train the chosen family with N seeds (seed, seed+1, …): report their mean and spread, serve their averaged probabilities', int: true, min: 1, default: '1' }),
    family: oneOf(FAMILY_NAMES, { help: 'model family; auto keeps the family (logistic, gbdt, mlp, stack) with the lowest purged out-of-fold log loss on train + validation, ties to the simpler; sequence (a TCN over the last 16 feature vectors of each symbol) only when named', default: 'auto' }),
    'class-weight': oneOf(CLASS_WEIGHT_NAMES, { help: 'balanced: weight each class n / (3 n_c), counted on the rows each fit trains on and applied to them only (validation and test rows are never weighted)', default: 'none' }),
    label: text({ help: 'labels: band (the dataset\'s, direction with its FLAT band) or percentile:<p> (FLAT band = the p-th percentile of |forward return| on the train split, 0 < p < 100); band on a triple-barrier dataset trains on its barrier labels', default: 'band' }),
    epochs: num({ help: 'most epochs (early stopping may end sooner; default: the trainer\'s)', int: true, gt: 0 }),
    backend: oneOf(['wasm', 'cpu', 'tensorflow'], { help: 'tfjs backend (tensorflow falls back to wasm when it cannot load)', default: 'wasm' }),
    'cv-folds': num({ help: 'cross-validation folds on the training part (0 = no cross-validation)', int: true, min: 0, default: '5' }),
    'cv-scheme': oneOf(CV_SCHEME_NAMES, { help: 'cross-validation scheme', default: 'purged-kfold' }),
    gates: existingFile({ help: 'validation gate thresholds (JSON; defaults in docs/evaluation.md)', arg: 'gates.json' }),
    'fee-bps': num({ help: 'fee per side in basis points that the decision policy must beat', min: 0, default: '5' }),
    'slippage-bps': num({ help: 'slippage per side in basis points that the decision policy must beat', min: 0, default: '2' }),
    kelly: num({ help: 'fraction of the Kelly bet the decision policy sizes positions at', gt: 0, max: 1, default: '0.5' }),
    'contract-min-expiry': duration({ help: 'option underlyings: the signal names a contract of the nearest expiry at least this long after the bar end', default: '1d' }),
    'contract-moneyness': oneOf(['atm', 'otm1'], { help: 'option underlyings: the strike nearest spot (atm) or one listed strike out of the money (otm1)', default: 'atm' }),
    'contract-max-age': duration({ help: 'option underlyings: name no contract when the chain at bar end is older than this', default: '5m' }),
    'policy-move': oneOf(['head', 'classes'], { help: "expected move the decision policy is fitted on: the model's expected-return head, or the class probabilities x each class's mean validation return", default: 'head' }),
    'max-size': num({ help: "largest fraction of the equity one position may take", gt: 0, max: 1, default: '1' }),
    'bayes-auc': num({ help: "best achievable AUC, for the edge fraction (default: the dataset's bayesAuc metadata)", gt: 0, max: 1 }),
  },
  check: (v) => {
    if (v['cv-folds'] === 1) return '--cv-folds must be 0 (no cross-validation) or an integer >= 2';
    if (v.label.startsWith('triple-barrier')) return `--label ${v.label}: triple-barrier labels are built with the dataset (replay dataset --label triple-barrier:<up>,<down>,<bars>); train on that dataset with --label band`;
    const p = /^percentile:(\d+(?:\.\d+)?)$/.exec(v.label);
    if (v.label !== 'band' && !(p !== null && Number(p[1]) > 0 && Number(p[1]) < 100)) return `--label must be band or percentile:<p> with 0 < p < 100, got ${JSON.stringify(v.label)}`;
    return undefined;
  },
});
