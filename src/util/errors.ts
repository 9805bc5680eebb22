/**
 * Bad usage or bad input: the CLI prints the message as one line on stderr and
 * exits with status 2 (SPEC section 1). The message names the file, the row and
 * the field at fault, and says what to change.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    message: string,
    readonly file?: string,
    readonly row?: number,
    readonly field?: string,
  ) {
    super(InputError.compose(message, file, row, field));
  }

  static compose(message: string, file?: string, row?: number, field?: string): string {
    const where = [file, row !== undefined ? `row ${row}` : undefined, field !== undefined ? `field ${field}` : undefined]
      .filter((s) => s !== undefined)
      .join(', ');
    return where ? `${where}: ${message}` : message;
  }
}
