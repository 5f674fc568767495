// Reads a Quire site with Ghost's own content API client, as a headless front end does.
// Usage: node check.mjs SITE_URL   (GHOST_CLIENT_MODULES: a node_modules folder holding
// @tryghost/content-api). The site holds the posts the Rust test seeded; any difference
// from what a Ghost site would answer fails with a message.
import assert from 'node:assert/strict';
import {createRequire} from 'node:module';
import path from 'node:path';

const modules = process.env.GHOST_CLIENT_MODULES;
assert.ok(modules, 'GHOST_CLIENT_MODULES names the node_modules folder');
const require = createRequire(path.join(modules, 'index.js'));
const GhostContentAPI = require('@tryghost/content-api');

const api = new GhostContentAPI({
    url: process.argv[2],
    key: '0123456789abcdef0123456789',
    version: 'v5.0'
});

const posts = await api.posts.browse({include: 'tags,authors', limit: 2});
assert.equal(posts.length, 2);
assert.equal(posts.meta.pagination.page, 1);
assert.equal(posts.meta.pagination.limit, 2);
assert.equal(posts.meta.pagination.next, 2);
assert.ok(posts.meta.pagination.total >= 3);
for (const post of posts) {
    assert.ok(post.id && post.title && post.slug && post.html && post.url, post.slug);
    assert.ok(Array.isArray(post.tags) && Array.isArray(post.authors), post.slug);
    // The welcome post a new site starts with has no author; the others name theirs.
    assert.equal(Boolean(post.primary_author), post.authors.length > 0, post.slug);
    assert.ok(!Number.isNaN(Date.parse(post.published_at)), post.published_at);
}

const second = await api.posts.browse({include: ['tags', 'authors'], limit: 2, page: 2});
assert.equal(second.meta.pagination.page, 2);
assert.equal(second.meta.pagination.prev, 1);
assert.ok(second.every((post) => !posts.some((first) => first.id === post.id)));

const engines = await api.posts.read({slug: 'engines'}, {include: 'tags,authors'});
assert.equal(engines.title, 'Engines');
assert.equal(engines.primary_tag.slug, 'news');
assert.equal(engines.primary_author.slug, 'ada-lovelace');
const byId = await api.posts.read({id: engines.id}, {fields: 'title,slug'});
assert.deepEqual(byId, {title: 'Engines', slug: 'engines'});

const news = await api.posts.browse({filter: 'tag:news+author:ada-lovelace', fields: 'slug'});
assert.deepEqual(news.map((post) => post.slug), ['engines']);
const either = await api.posts.browse({filter: 'tags:[news,craft]', order: 'title asc'});
assert.deepEqual(either.map((post) => post.slug), ['compilers', 'engines']);
const featured = await api.posts.browse({filter: 'featured:true'});
assert.deepEqual(featured.map((post) => post.slug), ['compilers']);

const tags = await api.tags.browse({include: 'count.posts', order: 'name asc'});
assert.deepEqual(tags.map((tag) => [tag.slug, tag.count.posts]), [['craft', 1], ['news', 1]]);
const tag = await api.tags.read({slug: 'craft'});
assert.equal(tag.name, 'Craft');

const authors = await api.authors.browse({filter: 'slug:ada-lovelace'});
assert.equal(authors.length, 1);
assert.equal(authors[0].name, 'Ada Lovelace');
assert.equal(authors[0].email, undefined);
const author = await api.authors.read({slug: 'grace-hopper'}, {include: 'count.posts'});
assert.equal(author.count.posts, 1);

const pages = await api.pages.browse();
assert.deepEqual(pages.map((page) => page.slug), ['about']);
const about = await api.pages.read({slug: 'about'});
assert.equal(about.title, 'About us');

const settings = await api.settings.browse();
assert.equal(settings.title, 'The Engine Room');
assert.ok(settings.url.startsWith(process.argv[2]));

await assert.rejects(api.posts.read({slug: 'nothing-here'}), (error) => {
    assert.equal(error.response.status, 404);
    assert.equal(error.code, 'not_found');
    return true;
});
await assert.rejects(api.posts.browse({limit: 1000}), (error) => {
    assert.equal(error.response.status, 400);
    assert.equal(error.field, 'limit');
    return true;
});

console.log('Ghost content API client: every check passed');
