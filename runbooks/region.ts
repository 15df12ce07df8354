import { z } from 'zod';

/**
 * A region as the targets file or the fleet API names it (`A`, `eu-west-1`). Any such name passes input validation;
 * the run checks it against the regions the service or the fleet actually has.
 */
export const Region = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/,
    'a region name is letters, digits, ".", "_" or "-", as the targets file or the fleet API names it (e.g. A, eu-west-1)',
  );
export type Region = z.infer<typeof Region>;
