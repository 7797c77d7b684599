/**
 * Prints the plain closing line CI reads: "Tests: N passed, N failed, N skipped". A test file
 * that could not run (a crash, a syntax error) counts as a failure: its tests were never counted.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stdout.write(`\nTests: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
module.exports = SummaryReporter;
