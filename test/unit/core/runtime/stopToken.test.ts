import { expect } from 'chai';
import { StoppedError, StopToken } from '../../../../src/core/runtime/stopToken.js';

describe('StopToken', () => {
  it('wakes a long sleep at once when a stop is asked for, which then throws StoppedError with the reason', async () => {
    const token = new StopToken();
    const started = Date.now();
    const sleeping = token.sleep(60_000);
    token.stop('SIGTERM');
    token.stop('SIGINT');
    const error = await sleeping.then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(StoppedError);
    expect((error as StoppedError).reason, 'the first reason is kept').to.equal('SIGTERM');
    expect(Date.now() - started).to.be.lessThan(5000);
    expect(() => token.check()).to.throw(StoppedError);
  });

  it('does nothing until stopped: check passes, a sleep ends on its own', async () => {
    const token = new StopToken();
    token.check();
    await token.sleep(1);
    expect(token.stopped).to.equal(false);
  });
});
