import { ValidateBy, ValidationOptions } from 'class-validator';

/** A class-validator decorator from a function answering what is wrong with a value, or null. */
export function Satisfies(name: string, problem: (value: unknown) => string | null, options?: ValidationOptions): PropertyDecorator {
  const describe = (value: unknown): string => {
    const values = options?.each && Array.isArray(value) ? value : [value];
    return values.map(problem).find((p) => p !== null) ?? 'is invalid';
  };
  return ValidateBy(
    {
      name,
      validator: {
        validate: (value: unknown) => problem(value) === null,
        defaultMessage: (args) => `${args?.property ?? 'value'} ${describe(args?.value)}`,
      },
    },
    options,
  );
}

