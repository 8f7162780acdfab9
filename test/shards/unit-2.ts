// Shard 2 of 4 of test/unit, in one process (test/helpers/shard.ts). `npm run test:fast` runs the shards.
import { runShard } from '../helpers/shard.ts';

runShard('test/unit', 2, 4);
