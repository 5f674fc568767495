DROP TABLE post_likes;
