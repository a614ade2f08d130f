import type { DynamoDbSender } from '../aws/clients';
import { DriftStateError } from './errors';

/** A finding the audit published and has not seen resolved: one item per `findingId`. */
export interface StoredFinding {
  findingId: string;
  fingerprint: string;
  kind: string;
  secretArn?: string;
  /** `engine://host:port` */
  server: string;
  firstSeen: string;
  lastSeen: string;
}

/**
 * Where the audit remembers what it published, so a finding is published again only when it
 * changes. `claim` is conditional: of two runs that find the same new drift, one publishes.
 */
export interface DriftState {
  /** Every open finding (one scan per run). */
  open(): Promise<StoredFinding[]>;
  /** Stores `item` unless an item with its id and fingerprint is there: true when this run claimed it. */
  claim(item: StoredFinding, expiresAt: number): Promise<boolean>;
  /** Undoes a claim whose event could not be published, so the next run tries again. */
  release(findingId: string, fingerprint: string): Promise<void>;
  /** The finding was seen again, unchanged. */
  touch(findingId: string, lastSeen: string, expiresAt: number): Promise<void>;
  /** The finding is gone (resolved or repaired). */
  forget(findingId: string): Promise<void>;
}

/** State for one process: the CLI and the tests. */
export class MemoryDriftState implements DriftState {
  readonly items = new Map<string, StoredFinding>();

  async open(): Promise<StoredFinding[]> {
    return [...this.items.values()];
  }

  async claim(item: StoredFinding): Promise<boolean> {
    if (this.items.get(item.findingId)?.fingerprint === item.fingerprint) return false;
    this.items.set(item.findingId, { ...item });
    return true;
  }

  async release(findingId: string, fingerprint: string): Promise<void> {
    if (this.items.get(findingId)?.fingerprint === fingerprint) this.items.delete(findingId);
  }

  async touch(findingId: string, lastSeen: string): Promise<void> {
    const item = this.items.get(findingId);
    if (item) item.lastSeen = lastSeen;
  }

  async forget(findingId: string): Promise<void> {
    this.items.delete(findingId);
  }
}

type Item = Record<string, { S: string } | { N: string }>;
const STRING_FIELDS = [
  'findingId',
  'fingerprint',
  'kind',
  'secretArn',
  'server',
  'firstSeen',
  'lastSeen',
] as const;

/**
 * The deployed state: a DynamoDB table keyed by `findingId`, with a TTL (`expiresAt`, epoch
 * seconds) so findings of secrets that went away do not stay forever.
 */
export class DynamoDriftState implements DriftState {
  constructor(
    private readonly client: DynamoDbSender,
    private readonly tableName: string,
  ) {}

  async open(): Promise<StoredFinding[]> {
    const { ScanCommand } = await import('@aws-sdk/client-dynamodb');
    const found: StoredFinding[] = [];
    let ExclusiveStartKey: Record<string, never> | undefined;
    do {
      const out = await this.#call('Scan', () =>
        this.client.send(
          new ScanCommand({ TableName: this.tableName, ConsistentRead: true, ExclusiveStartKey }),
        ),
      );
      for (const item of out.Items ?? []) found.push(fromItem(item as Item));
      ExclusiveStartKey = out.LastEvaluatedKey as Record<string, never> | undefined;
    } while (ExclusiveStartKey);
    return found;
  }

  async claim(item: StoredFinding, expiresAt: number): Promise<boolean> {
    const { PutItemCommand, ConditionalCheckFailedException } = await import('@aws-sdk/client-dynamodb');
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { ...toItem(item), expiresAt: { N: String(Math.floor(expiresAt / 1000)) } },
          ConditionExpression: 'attribute_not_exists(findingId) OR fingerprint <> :fp',
          ExpressionAttributeValues: { ':fp': { S: item.fingerprint } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new DriftStateError('PutItem', error instanceof Error ? error.name : 'unknown error');
    }
  }

  async release(findingId: string, fingerprint: string): Promise<void> {
    const { DeleteItemCommand, ConditionalCheckFailedException } = await import('@aws-sdk/client-dynamodb');
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { findingId: { S: findingId } },
          ConditionExpression: 'fingerprint = :fp',
          ExpressionAttributeValues: { ':fp': { S: fingerprint } },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw new DriftStateError('DeleteItem', error instanceof Error ? error.name : 'unknown error');
    }
  }

  async touch(findingId: string, lastSeen: string, expiresAt: number): Promise<void> {
    const { UpdateItemCommand } = await import('@aws-sdk/client-dynamodb');
    await this.#call('UpdateItem', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { findingId: { S: findingId } },
          UpdateExpression: 'SET lastSeen = :seen, expiresAt = :exp',
          ConditionExpression: 'attribute_exists(findingId)',
          ExpressionAttributeValues: {
            ':seen': { S: lastSeen },
            ':exp': { N: String(Math.floor(expiresAt / 1000)) },
          },
        }),
      ),
    ).catch((error: unknown) => {
      // Forgotten meanwhile by another run: the next run sees it as new, which is right.
      if (!(error instanceof DriftStateError && error.message.includes('ConditionalCheckFailed')))
        throw error;
    });
  }

  async forget(findingId: string): Promise<void> {
    const { DeleteItemCommand } = await import('@aws-sdk/client-dynamodb');
    await this.#call('DeleteItem', () =>
      this.client.send(
        new DeleteItemCommand({ TableName: this.tableName, Key: { findingId: { S: findingId } } }),
      ),
    );
  }

  async #call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw new DriftStateError(operation, error instanceof Error ? error.name : 'unknown error');
    }
  }
}

function toItem(finding: StoredFinding): Item {
  const item: Item = {};
  for (const field of STRING_FIELDS) {
    const value = finding[field];
    if (value !== undefined) item[field] = { S: value };
  }
  return item;
}

function fromItem(item: Item): StoredFinding {
  const text = (field: string) => {
    const attribute = item[field];
    return attribute && 'S' in attribute ? attribute.S : undefined;
  };
  return {
    findingId: text('findingId') ?? '',
    fingerprint: text('fingerprint') ?? '',
    kind: text('kind') ?? '',
    ...(text('secretArn') ? { secretArn: text('secretArn') } : {}),
    server: text('server') ?? '',
    firstSeen: text('firstSeen') ?? '',
    lastSeen: text('lastSeen') ?? '',
  };
}
