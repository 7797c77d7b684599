/**
 * Calls made during one turn of the event loop, sent to PostgreSQL as one statement when the turn
 * ends. Under load dozens of requests (or webhook attempts) ask in one turn; one round trip for
 * all of them takes one pool connection where each would take its own. Every call still starts
 * after it was made, and resolves or rejects with its own answer; a statement that fails rejects
 * every call it carried.
 */
interface Waiter<Out> {
  resolve(value: Out): void;
  reject(error: unknown): void;
}

export class TurnBatch<In, Out> {
  private pending: { inputs: In[]; waiters: Waiter<Out>[] } | null = null;

  /** `run` answers the inputs in their order. */
  constructor(private readonly run: (inputs: In[]) => Promise<Out[]>) {}

  ask(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      if (this.pending === null) {
        this.pending = { inputs: [], waiters: [] };
        setImmediate(() => void this.send());
      }
      this.pending.inputs.push(input);
      this.pending.waiters.push({ resolve, reject });
    });
  }

  private async send(): Promise<void> {
    const { inputs, waiters } = this.pending!;
    this.pending = null;
    try {
      const outputs = await this.run(inputs);
      waiters.forEach((waiter, i) => waiter.resolve(outputs[i]!));
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
    }
  }
}
