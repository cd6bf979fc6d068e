import { describeError } from '../errors';

/** A failed call, in words; never a blank page. */
export function ErrorMessage({ error, context }: { error: unknown; context?: string }) {
  const { title, detail } = describeError(error);
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">{context ? `${context}: ${title}` : title}</p>
      <p>{detail}</p>
    </div>
  );
}
