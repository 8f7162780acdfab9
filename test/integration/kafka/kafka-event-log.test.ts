import { after, describe } from 'node:test';
import { KafkaEventLog } from '../../../storage/kafka/kafka-event-log.ts';
import { eventLogContract } from '../../contract/event-log.contract.ts';
import { startKafkaMock, type KafkaMock } from '../../helpers/kafka-mock.ts';

const started = await startKafkaMock();

if ('skip' in started) {
  describe('EventLog contract: Kafka (librdkafka mock cluster)', { skip: started.skip }, () => {});
} else {
  const mock: KafkaMock = started;
  after(() => mock.stop());
  // One mock cluster for the file; every contract test uses its own fresh topic.
  eventLogContract('Kafka (librdkafka mock cluster)', async () => {
    const log = await KafkaEventLog.connect({ brokers: mock.brokers });
    return { log, cleanup: () => log.close() };
  });
}
