import { ModelError } from '../../model/errors.ts';
import { DEFAULT_MODELS_DIR, diffModels, ModelRegistry } from '../../model/registry/model-registry.ts';
import { parse } from '../args.ts';
import { info, printJson, UsageError } from '../output.ts';

const USAGE = `usage: tickflow models list|show <id>|promote <id> [--allow-ungated]|diff <id> <id> [--dir ${DEFAULT_MODELS_DIR}]`;

/** `tickflow models`: the model registry (one model per subdirectory of --dir, and a champion). */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    dir: { type: 'string', default: DEFAULT_MODELS_DIR },
    'allow-ungated': { type: 'boolean', default: false },
  });
  const [sub, ...refs] = positionals;
  const registry = new ModelRegistry(values.dir);
  const want = (n: number): string[] => {
    if (refs.length !== n) throw new UsageError(`models ${sub ?? ''} takes ${n} model id${n === 1 ? '' : 's'}\n${USAGE}`);
    return refs;
  };
  try {
    switch (sub) {
      case 'list': {
        want(0);
        const { models, invalid } = await registry.list();
        for (const m of models) {
          const auc = m.metrics['auc'];
          const ci = auc?.ci95 ? ` [${auc.ci95[0].toFixed(3)}, ${auc.ci95[1].toFixed(3)}]` : '';
          info(`${m.champion ? '*' : ' '} ${m.id}  ${m.name.padEnd(16)} ${m.family.padEnd(8)} ${m.created}  auc ${auc?.value?.toFixed(3) ?? '-'}${ci}  gates ${m.gates.status}`);
        }
        if (invalid.length) info(`skipped (no valid manifest): ${invalid.join(', ')}`);
        printJson({ dir: values.dir, champion: models.find((m) => m.champion)?.id ?? null, models, invalid });
        return 0;
      }
      case 'show':
        printJson(await registry.find(want(1)[0] as string));
        return 0;
      case 'promote': {
        const m = await registry.promote(want(1)[0] as string, values['allow-ungated']);
        info(`model ${m.id} (${m.name}) is the champion in ${values.dir}`);
        printJson({ champion: m.id, name: m.name, dir: m.dir });
        return 0;
      }
      case 'diff': {
        const [a, b] = want(2);
        printJson(diffModels(await registry.find(a as string), await registry.find(b as string)));
        return 0;
      }
      default:
        throw new UsageError(sub === undefined ? USAGE : `unknown models subcommand ${JSON.stringify(sub)}\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof ModelError && (e.code === 'MODEL_NOT_FOUND' || e.code === 'MODEL_UNGATED')) throw new UsageError(e.message);
    throw e;
  }
}
