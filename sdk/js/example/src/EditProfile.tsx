// The seed page's EditProfile component ("Update Users" > "Update Profile (Self-Service)"),
// pasted exactly as printed there, whitespace included, between the two marker comments.
// test/unit/react.test.tsx checks that it stays byte-identical to the page and renders with the SDK.
// It is the seed's text, so ESLint's objections to it are noted, not fixed: React 19's types
// deprecate FormEvent, and onSubmit is given a function that returns a promise.
/* eslint-disable @typescript-eslint/no-deprecated, @typescript-eslint/no-misused-promises */
// --- seed: begin ---
import { useUser } from "@hellojohn/react";
function EditProfile() {
const { user, update } = useUser();
const handleSubmit = async (e: React.FormEvent<HTMLFormElement>) => {
e.preventDefault();
const data = new FormData(e.currentTarget);
await update({
name: data.get("name") as string,
avatar_url: data.get("avatar_url") as string,
});
};
return (
<form onSubmit={handleSubmit}>
<input name="name" defaultValue={user.name} />
<input name="avatar_url" defaultValue={user.avatar_url ?? ""} />
<button type="submit">Save</button>
</form>
);
}
// --- seed: end ---

export default EditProfile;
